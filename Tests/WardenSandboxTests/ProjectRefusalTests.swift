import Testing
import WardenSandbox

@Suite("directories that never become the writable project")
struct ProjectRefusalTests {
    @Test("/, /tmp, the home, above it and system directories are refused; projects are not", arguments: [
        ("/", true), ("/tmp", true), ("/home/dev", true), ("/home", true), ("/etc", true),
        ("/usr/local/bin", true), ("/var", true), ("/opt", true), ("/root", true),
        ("/home/dev/src/app", false), ("/tmp/scratch", false), ("/var/tmp/build", false), ("/opt/work/repo", false),
        ("/srv/git/project", false), ("/home/devs", false),
    ])
    func refused(root: String, refused: Bool) {
        #expect((ProjectRefusal.reason(root: root, home: "/home/dev") != nil) == refused, "\(root)")
    }

    @Test("the home given with a trailing slash is still the home")
    func trailingSlash() {
        #expect(ProjectRefusal.reason(root: "/home/dev", home: "/home/dev/")?.contains("your home directory") == true)
    }
}

/// Directories that must never become the sandbox's writable project: the project is bound
/// writable whole, so starting in one of these would give every command of the session the
/// system, every developer's home, or the developer's own home (`~/.ssh/authorized_keys`,
/// `~/.config/autostart`, `~/.local/bin`: ways to run code outside the sandbox later).
public enum ProjectRefusal {
    static let systemTrees = ["/etc", "/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot", "/proc", "/sys", "/dev"]
    static let systemDirectories = ["/var", "/opt", "/run", "/srv", "/mnt", "/media", "/home", "/root"]

    /// Why `root` (the resolved project directory) cannot be the project, nil when it can.
    public static func reason(root: String, home: String) -> String? {
        let home = home.count > 1 && home.hasSuffix("/") ? String(home.dropLast()) : home
        if root == "/" { return "the project would be / (the whole file system): every command could rewrite the system" }
        if root == "/tmp" { return "the project would be /tmp, which the sandbox replaces with a private /tmp of its own" }
        if root == home {
            return "the project would be your home directory \(root) (it holds no project, or is itself a git repository): every command could write ~/.ssh, ~/.config and ~/.local/bin"
        }
        if home.hasPrefix(root + "/") {
            return "the project would be \(root), which holds your home directory: every command could write it"
        }
        if systemDirectories.contains(root) || systemTrees.contains(where: { root == $0 || root.hasPrefix($0 + "/") }) {
            return "the project would be the system directory \(root): every command could rewrite it"
        }
        return nil
    }
}

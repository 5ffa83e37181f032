import FoundationEssentials
import Glibc

/// The hooks directory `warden install --git` points the system's core.hooksPath at.
enum GitHooks {
    /// Git's client-side hooks (githooks(5)): each one in the directory hands on to the
    /// repository's own hook, so setting core.hooksPath silences none of them.
    static let names = [
        "applypatch-msg", "pre-applypatch", "post-applypatch", "pre-commit", "pre-merge-commit",
        "prepare-commit-msg", "commit-msg", "post-commit", "pre-rebase", "post-checkout", "post-merge",
        "pre-push", "post-rewrite", "pre-auto-gc", "reference-transaction", "push-to-checkout", "post-index-change",
    ]

    static func script(for name: String, warden: String) -> String {
        let guardLines = name == "pre-commit" ? """
            # Warden's guard first: a commit that adds secrets or personal data, or stages a file the
            # managed policy protects, is blocked. A missing warden blocks it too.
            if [ ! -x \(warden) ]; then
                echo "warden pre-commit: \(warden) is missing; the commit is blocked (reinstall Warden)." >&2
                exit 1
            fi
            \(warden) precommit || exit $?

            """ : ""
        return """
            #!/bin/sh
            # Installed by `warden install --git` (core.hooksPath); `warden uninstall` removes it.
            \(guardLines)# Then the repository's own \(name) hook, which core.hooksPath would otherwise skip.
            own="$(git rev-parse --git-common-dir 2>/dev/null)/hooks/\(name)"
            if [ -x "$own" ]; then
                exec "$own" "$@"
            fi
            exit 0

            """
    }

    /// The system configuration's value (git honours GIT_CONFIG_SYSTEM, which tests use).
    static func systemValue(_ key: String) throws -> String? {
        let (status, output) = try git(["config", "--system", "--get", key])
        if status == 1 { return nil }
        guard status == 0 else { throw CLIError("git config --system --get \(key) failed (exit \(status))") }
        return output.trimmingNewlines()
    }

    static func setSystemValue(_ key: String, _ value: String?) throws {
        let arguments = value.map { ["config", "--system", key, $0] } ?? ["config", "--system", "--unset", key]
        let (status, _) = try git(arguments)
        guard status == 0 || (value == nil && status == 5) else {
            throw CLIError("git \(arguments.joined(separator: " ")) failed (exit \(status)); is the system git configuration writable?")
        }
    }

    private static func git(_ arguments: [String]) throws -> (Int32, String) {
        do {
            let outcome = try Programs.run("git", arguments)
            return (outcome.status, outcome.output)
        } catch {
            throw CLIError("git: cannot run (\(error)); install git")
        }
    }
}

// The option tables Warden knows, transcribed from the tools' documentation (the versions Debian 12
// ships unless noted, plus the BSD/macOS options Claude Code users meet). Tests/WardenShellTests/
// OptionTableTests compares each table that has a tool installed here with that tool's own help.
// A command without a table is compared as written: Warden cannot know how it parses its words.

public enum OptionTables {
    /// The table for a command (its name, not a path), or nil.
    public static func table(for command: String) -> OptionTable? {
        switch command {
        case "rm": rm
        case "cp": cp
        case "mv": mv
        case "chmod": chmod
        case "chown": chown
        case "sed": sed
        case "xargs": xargs
        case "timeout": timeout
        case "nice": nice
        case "env": env
        case "sudo": sudo
        case "npm": npm
        default: nil
        }
    }

    /// The table for a git subcommand, or nil.
    public static func git(_ subcommand: String) -> OptionTable? {
        switch subcommand {
        case "checkout": gitCheckout
        case "switch": gitSwitch
        case "push": gitPush
        case "reset": gitReset
        case "clean": gitClean
        case "branch": gitBranch
        case "restore": gitRestore
        case "rebase": gitRebase
        case "commit": gitCommit
        case "tag": gitTag
        case "add": gitAdd
        case "stash": gitStash
        default: nil
        }
    }

    /// The commands and git subcommands that have a table, for tests and documentation.
    public static let commands = ["rm", "cp", "mv", "chmod", "chown", "sed", "xargs", "timeout", "nice", "env", "sudo", "npm"]
    public static let gitSubcommands = [
        "checkout", "switch", "push", "reset", "clean", "branch", "restore", "rebase", "commit", "tag", "add", "stash",
    ]

    // MARK: coreutils, findutils, sed

    // rm (GNU coreutils) 9.1, `rm --help`.
    static let rm = OptionTable(source: "rm (GNU coreutils) 9.1 --help", [
        "-f, --force", "-i", "-I", "--interactive[=]", "--one-file-system", "--no-preserve-root", "--preserve-root[=]",
        "-r, -R, --recursive", "-d, --dir", "-v, --verbose", "--help", "--version",
    ])

    // cp (GNU coreutils) 9.1, `cp --help`.
    static let cp = OptionTable(source: "cp (GNU coreutils) 9.1 --help", [
        "-a, --archive", "--attributes-only", "--backup[=]", "-b", "--copy-contents", "-d", "-f, --force",
        "-i, --interactive", "-H", "-l, --link", "-L, --dereference", "-n, --no-clobber", "-P, --no-dereference", "-p",
        "--preserve[=]", "--no-preserve=", "--parents", "-r, -R, --recursive", "--reflink[=]", "--remove-destination",
        "--sparse=", "--strip-trailing-slashes", "-s, --symbolic-link", "-S, --suffix=", "-t, --target-directory=",
        "-T, --no-target-directory", "-u, --update", "-v, --verbose", "-x, --one-file-system", "-Z", "--context[=]",
        "--help", "--version",
    ])

    // mv (GNU coreutils) 9.1, `mv --help`.
    static let mv = OptionTable(source: "mv (GNU coreutils) 9.1 --help", [
        "--backup[=]", "-b", "-f, --force", "-i, --interactive", "-n, --no-clobber", "--strip-trailing-slashes",
        "-S, --suffix=", "-t, --target-directory=", "-T, --no-target-directory", "-u, --update", "-v, --verbose",
        "-Z, --context", "--help", "--version",
    ])

    // chmod (GNU coreutils) 9.1, `chmod --help`. A mode such as `-w` is not an option here: it
    // stays a word of its own.
    static let chmod = OptionTable(source: "chmod (GNU coreutils) 9.1 --help", [
        "-c, --changes", "-f, --silent, --quiet", "-v, --verbose", "--no-preserve-root", "--preserve-root",
        "--reference=", "-R, --recursive", "--help", "--version",
    ])

    // chown (GNU coreutils) 9.1, `chown --help`.
    static let chown = OptionTable(source: "chown (GNU coreutils) 9.1 --help", [
        "-c, --changes", "-f, --silent, --quiet", "-v, --verbose", "--dereference", "-h, --no-dereference", "--from=",
        "--no-preserve-root", "--preserve-root", "--reference=", "-R, --recursive", "-H", "-L", "-P", "--help",
        "--version",
    ])

    // sed (GNU sed) 4.9, `sed --help`. BSD/macOS `sed -i ''` takes its suffix as the next word;
    // GNU's attached-only form is the one that decides how the words parse here.
    static let sed = OptionTable(source: "sed (GNU sed) 4.9 --help", [
        "-n, --quiet, --silent", "--debug", "-e <>, --expression=", "-f <>, --file=", "--follow-symlinks",
        "-i[], --in-place[=]", "-l <>, --line-length=", "--posix", "-E, -r, --regexp-extended", "-s, --separate",
        "--sandbox", "-u, --unbuffered", "-z, --null-data", "--help", "--version",
    ])

    // xargs (GNU findutils) 4.9.0, `xargs --help`; then the BSD/macOS xargs(1) options GNU does not
    // have: -J replstr, -R replacements, -S replsize. xargs stops at the command it runs.
    static let xargs = OptionTable(source: "xargs (GNU findutils) 4.9.0 --help; macOS/FreeBSD xargs(1)", permutes: false, [
        "-0, --null", "-a, --arg-file=", "-d, --delimiter=", "-E <>", "-e, --eof[=]", "-I <>", "-i, --replace[=]",
        "-L, --max-lines=", "-l[]", "-n, --max-args=", "-o, --open-tty", "-P, --max-procs=", "-p, --interactive",
        "--process-slot-var=", "-r, --no-run-if-empty", "-s, --max-chars=", "--show-limits", "-t, --verbose",
        "-x, --exit", "--help", "--version",
        // BSD/macOS only.
        "-J <>", "-R <>", "-S <>",
    ])

    /// The xargs options that are BSD/macOS only, which the GNU help cannot confirm.
    public static let xargsBSDOnly: Set<String> = ["-J", "-R", "-S"]

    // timeout (GNU coreutils) 9.1, `timeout --help`. Stops at DURATION.
    static let timeout = OptionTable(source: "timeout (GNU coreutils) 9.1 --help", permutes: false, [
        "--preserve-status", "--foreground", "-k, --kill-after=", "-s, --signal=", "-v, --verbose", "--help", "--version",
    ])

    // nice (GNU coreutils) 9.1, `nice --help`; the obsolete `nice -10 cmd` is read as an unknown
    // option that takes no value, which is what it is to the command that follows.
    static let nice = OptionTable(source: "nice (GNU coreutils) 9.1 --help", permutes: false, [
        "-n, --adjustment=", "--help", "--version",
    ])

    // env (GNU coreutils) 9.1, `env --help`. env's own reader (assignments, -S splitting) is in
    // CommandWrappers; this table is what it accepts as options.
    static let env = OptionTable(source: "env (GNU coreutils) 9.1 --help", permutes: false, [
        "-i, --ignore-environment", "-0, --null", "-u, --unset=", "-C, --chdir=", "-S, --split-string=",
        "--block-signal[=]", "--default-signal[=]", "--ignore-signal[=]", "--list-signal-handling", "-v, --debug",
        "--help", "--version",
    ])

    // sudo 1.9.13 (Debian 12), sudo(8) "OPTIONS"; not installed here, so not compared with a help
    // text. `-h` is both --help and --host=host; Warden reads it as taking a value, which can only
    // make it stop earlier at the wrapped command.
    static let sudo = OptionTable(source: "sudo 1.9.13 sudo(8) OPTIONS", permutes: false, implies: ["--preserve-env -E"], [
        "-A, --askpass", "-B, --bell", "-b, --background", "-C, --close-from=", "-D, --chdir=", "-E", "--preserve-env[=]",
        "-e, --edit", "-g, --group=", "-H, --set-home", "-h, --host=", "--help", "-i, --login", "-K, --remove-timestamp",
        "-k, --reset-timestamp", "-l, --list", "-N, --no-update", "-n, --non-interactive", "-P, --preserve-groups",
        "-p, --prompt=", "-R, --chroot=", "-r, --role=", "-S, --stdin", "-s, --shell", "-T, --command-timeout=",
        "-t, --type=", "-U, --other-user=", "-u, --user=", "-V, --version", "-v, --validate",
    ])

    // npm 10, `npm help install` and the shorthands of `npm help config`: only the options rules
    // name; npm accepts options anywhere. Unknown ones stay as written.
    static let npm = OptionTable(source: "npm 10 npm-install(1), npm-config(7) shorthands", [
        "-g, --global", "-D, --save-dev", "-P, --save-prod", "-O, --save-optional", "-E, --save-exact",
        "-B, --save-bundle", "-S, --save", "-f, --force", "-y, --yes", "-w, --workspace=", "--registry=",
        "-C, --prefix=", "--workspaces", "--dry-run", "--no-save",
    ])

    // MARK: git 2.39.5, `git <subcommand> -h` (parse-options: clustering, attached values,
    // unambiguous abbreviations of long options, `--no-` negation)

    /// git's own options before the subcommand, from git(1) and `git -h`; git.c compares them
    /// whole (no clustering, no abbreviation).
    public static let gitGlobal = OptionTable(source: "git 2.39.5 git(1) OPTIONS", permutes: false, [
        "-v, --version", "-h, --help", "-C <>", "-c <>", "--exec-path[=]", "--html-path", "--man-path", "--info-path",
        "-p, --paginate", "-P, --no-pager", "--no-replace-objects", "--bare", "--git-dir=", "--work-tree=",
        "--namespace=", "--super-prefix=", "--config-env=", "--literal-pathspecs", "--glob-pathspecs",
        "--noglob-pathspecs", "--icase-pathspecs", "--no-optional-locks", "--list-cmds=",
    ])

    static let gitCheckout = OptionTable(source: "git 2.39.5 git checkout -h", negatable: true, [
        "-b <>", "-B <>", "-l", "--guess", "--overlay", "-q, --quiet", "--recurse-submodules[=]", "--progress",
        "-m, --merge", "--conflict <>", "-d, --detach", "-t, --track[=]", "-f, --force", "--orphan <>",
        "--overwrite-ignore", "--ignore-other-worktrees", "-2, --ours", "-3, --theirs", "-p, --patch",
        "--ignore-skip-worktree-bits", "--pathspec-from-file <>", "--pathspec-file-nul",
    ])

    static let gitSwitch = OptionTable(source: "git 2.39.5 git switch -h", negatable: true, [
        "-c, --create <>", "-C, --force-create <>", "--guess", "--discard-changes", "-q, --quiet",
        "--recurse-submodules[=]", "--progress", "-m, --merge", "--conflict <>", "-d, --detach", "-t, --track[=]",
        "-f, --force", "--orphan <>", "--overwrite-ignore", "--ignore-other-worktrees",
    ])

    static let gitPush = OptionTable(source: "git 2.39.5 git push -h", negatable: true, [
        "-v, --verbose", "-q, --quiet", "--repo <>", "--all", "--mirror", "-d, --delete", "--tags", "-n, --dry-run",
        "--porcelain", "-f, --force", "--force-with-lease[=]", "--force-if-includes", "--recurse-submodules <>",
        "--thin", "--receive-pack <>", "--exec <>", "-u, --set-upstream", "--progress", "--prune", "--no-verify",
        "--follow-tags", "--signed[=]", "--atomic", "-o, --push-option <>", "-4, --ipv4", "-6, --ipv6",
    ])

    static let gitReset = OptionTable(source: "git 2.39.5 git reset -h", negatable: true, [
        "-q, --quiet", "--no-refresh", "--mixed", "--soft", "--hard", "--merge", "--keep", "--recurse-submodules[=]",
        "-p, --patch", "-N, --intent-to-add", "--pathspec-from-file <>", "--pathspec-file-nul",
    ])

    static let gitClean = OptionTable(source: "git 2.39.5 git clean -h", negatable: true, [
        "-q, --quiet", "-n, --dry-run", "-f, --force", "-i, --interactive", "-d", "-e, --exclude <>", "-x", "-X",
    ])

    static let gitBranch = OptionTable(
        source: "git 2.39.5 git branch -h", negatable: true,
        // git-branch(1): "-D Shortcut for --delete --force", "-M … --move --force", "-C … --copy --force".
        implies: ["-D -d -f", "-M -m -f", "-C -c -f"],
        [
            "-v, --verbose", "-q, --quiet", "-t, --track[=]", "-u, --set-upstream-to <>", "--unset-upstream",
            "--color[=]", "-r, --remotes", "--contains <>", "--no-contains <>", "--abbrev[=]", "-a, --all",
            "-d, --delete", "-D", "-m, --move", "-M", "-c, --copy", "-C", "-l, --list", "--show-current",
            "--create-reflog", "--edit-description", "-f, --force", "--merged <>", "--no-merged <>", "--column[=]",
            "--sort <>", "--points-at <>", "-i, --ignore-case", "--recurse-submodules", "--format <>",
        ])

    static let gitRestore = OptionTable(source: "git 2.39.5 git restore -h", negatable: true, [
        "-s, --source <>", "-S, --staged", "-W, --worktree", "--ignore-unmerged", "--overlay", "-q, --quiet",
        "--recurse-submodules[=]", "--progress", "-m, --merge", "--conflict <>", "-2, --ours", "-3, --theirs",
        "-p, --patch", "--ignore-skip-worktree-bits", "--pathspec-from-file <>", "--pathspec-file-nul",
    ])

    static let gitRebase = OptionTable(source: "git 2.39.5 git rebase -h", negatable: true, [
        "--onto <>", "--keep-base", "--no-verify", "-q, --quiet", "-v, --verbose", "-n, --no-stat", "--signoff",
        "--committer-date-is-author-date", "--reset-author-date", "-C <>", "--ignore-whitespace", "--whitespace <>",
        "-f, --force-rebase", "--no-ff", "--continue", "--skip", "--abort", "--quit", "--edit-todo",
        "--show-current-patch", "--apply", "-m, --merge", "-i, --interactive", "--rerere-autoupdate", "--empty <>",
        "--autosquash", "--update-refs", "-S, --gpg-sign[=]", "--autostash", "-x, --exec <>", "-r, --rebase-merges[=]",
        "--fork-point", "-s, --strategy <>", "-X, --strategy-option <>", "--root", "--reschedule-failed-exec",
        "--reapply-cherry-picks",
    ])

    static let gitCommit = OptionTable(source: "git 2.39.5 git commit -h", negatable: true, [
        "-q, --quiet", "-v, --verbose", "-F, --file <>", "--author <>", "--date <>", "-m, --message <>",
        "-c, --reedit-message <>", "-C, --reuse-message <>", "--fixup <>", "--squash <>", "--reset-author",
        "--trailer <>", "-s, --signoff", "-t, --template <>", "-e, --edit", "--cleanup <>", "--status",
        "-S, --gpg-sign[=]", "-a, --all", "-i, --include", "--interactive", "-p, --patch", "-o, --only",
        "-n, --no-verify", "--dry-run", "--short", "--branch", "--ahead-behind", "--porcelain", "--long", "-z, --null",
        "--amend", "--no-post-rewrite", "-u, --untracked-files[=]", "--pathspec-from-file <>", "--pathspec-file-nul",
    ])

    static let gitTag = OptionTable(source: "git 2.39.5 git tag -h", negatable: true, [
        "-l, --list", "-n[]", "-d, --delete", "-v, --verify", "-a, --annotate", "-m, --message <>", "-F, --file <>",
        "-e, --edit", "-s, --sign", "--cleanup <>", "-u, --local-user <>", "-f, --force", "--create-reflog",
        "--column[=]", "--contains <>", "--no-contains <>", "--merged <>", "--no-merged <>", "--sort <>",
        "--points-at <>", "--format <>", "--color[=]", "-i, --ignore-case",
    ])

    static let gitAdd = OptionTable(source: "git 2.39.5 git add -h", negatable: true, [
        "-n, --dry-run", "-v, --verbose", "-i, --interactive", "-p, --patch", "-e, --edit", "-f, --force", "-u, --update",
        "--renormalize", "-N, --intent-to-add", "-A, --all", "--ignore-removal", "--refresh", "--ignore-errors",
        "--ignore-missing", "--sparse", "--chmod <>", "--pathspec-from-file <>", "--pathspec-file-nul",
    ])

    /// `git stash` takes its action as the first operand (`drop`, `clear`, `push`, …); the options
    /// are those of its usage lines in `git stash -h`.
    static let gitStash = OptionTable(source: "git 2.39.5 git stash -h (usage lines)", negatable: true, [
        "-p, --patch", "-S, --staged", "-k, --keep-index", "-q, --quiet", "-u, --include-untracked", "-a, --all",
        "-m, --message <>", "--pathspec-from-file=", "--pathspec-file-nul", "--index", "--only-untracked",
    ])
}

// What `warden-sandbox-init` does inside bubblewrap, as data. `warden run` (outside) builds it
// from the plan and writes it as JSON; init (inside) reads it from `--spec PATH` and carries it
// out in this order: forwarders listening, limits, Landlock, seccomp, exec of `command`.
public import WardenJSON

/// The whole of what the first process inside the sandbox does.
///
/// Entry point for the plan: build one, write `json()` to a file bound into the sandbox, and start
/// `warden-sandbox-init --spec FILE` as bwrap's command. `init(json:)` is strict (unknown keys,
/// wrong types and impossible values are errors), because init must never run the agent with less
/// protection than the plan says.
public struct SandboxInnerSpec: Sendable, Hashable {
    /// A TCP port on the sandbox's loopback relayed to a unix socket bound in from the host (where
    /// Warden's proxy listens). Init listens on `127.0.0.1:port` before anything else runs.
    public struct Forwarder: Sendable, Hashable {
        public var port: Int
        public var socketPath: String
        public init(port: Int, socketPath: String) {
            self.port = port
            self.socketPath = socketPath
        }
    }

    public var forwarders: [Forwarder]
    public var limits: SandboxLimits
    /// nil: Landlock is not applied (the kernel has none); the plan says so.
    public var landlock: LandlockProfile?
    public var seccomp: SeccompProfile
    /// init calls `setsid()` (a session without a controlling terminal: no `TIOCSTI`, no
    /// terminal signals) when true; false when bwrap's `--new-session` already did, or when the
    /// launcher keeps the terminal for an interactive session (then the seccomp rule against
    /// `TIOCSTI` is the wall).
    public var newSession: Bool
    public var workingDirectory: String
    /// argv; `command[0]` is an absolute path (init does no PATH search).
    public var command: [String]
    /// When the seccomp profile has `notify` rules: the descriptor, inherited from the launcher
    /// through bwrap, of a unix socket whose other end is the supervisor on the host. Init sends
    /// the filter's listener over it (SCM_RIGHTS) and closes it before exec.
    public var supervisorDescriptor: Int?

    public init(
        forwarders: [Forwarder] = [], limits: SandboxLimits = SandboxLimits(), landlock: LandlockProfile?,
        seccomp: SeccompProfile, newSession: Bool = true, workingDirectory: String, command: [String],
        supervisorDescriptor: Int? = nil
    ) {
        self.supervisorDescriptor = supervisorDescriptor
        self.newSession = newSession
        self.forwarders = forwarders
        self.limits = limits
        self.landlock = landlock
        self.seccomp = seccomp
        self.workingDirectory = workingDirectory
        self.command = command
    }

    /// The spec as one line of JSON (the form `init(json:)` reads).
    public func json() -> String { jsonValue.serialized }

    public var jsonValue: JSONValue {
        .object([
            "forwarders": .array(forwarders.map { .object(["port": .number($0.port), "socketPath": .string($0.socketPath)]) }),
            "limits": limits.jsonValue,
            "landlock": landlock?.jsonValue ?? .null,
            "seccomp": seccomp.jsonValue,
            "newSession": .bool(newSession),
            "workingDirectory": .string(workingDirectory),
            "command": .array(command.map { .string($0) }),
            "supervisorDescriptor": supervisorDescriptor.map { .number($0) } ?? .null,
        ])
    }

    public init(json text: String) throws(SandboxSpecError) {
        let value: JSONValue
        do {
            value = try JSONValue.parse(text)
        } catch {
            throw SandboxSpecError("spec: not JSON: \(error)")
        }
        try self.init(jsonValue: value)
    }

    public init(jsonValue value: JSONValue) throws(SandboxSpecError) {
        let object = try StrictObject(value, at: "spec", known: ["forwarders", "limits", "landlock", "seccomp", "newSession", "workingDirectory", "command", "supervisorDescriptor"])
        var forwarders: [Forwarder] = []
        for (index, item) in try object.array("forwarders").enumerated() {
            let entry = try StrictObject(item, at: "spec.forwarders[\(index)]", known: ["port", "socketPath"])
            let port = try entry.integer("port")
            guard (1...65535).contains(port) else { throw SandboxSpecError("spec.forwarders[\(index)].port: \(port) is not a TCP port (1-65535)") }
            let socketPath = try entry.string("socketPath")
            guard socketPath.hasPrefix("/"), socketPath.utf8.count < 108 else {
                throw SandboxSpecError("spec.forwarders[\(index)].socketPath: \(JSONValue.quoted(socketPath)) must be an absolute path shorter than 108 bytes")
            }
            forwarders.append(Forwarder(port: port, socketPath: socketPath))
        }
        guard Set(forwarders.map(\.port)).count == forwarders.count else { throw SandboxSpecError("spec.forwarders: a port is listed twice") }
        self.forwarders = forwarders
        limits = try SandboxLimits(jsonValue: object.required("limits"), at: "spec.limits")
        let landlockValue = try object.required("landlock")
        landlock = landlockValue.isNull ? nil : try LandlockProfile(jsonValue: landlockValue, at: "spec.landlock")
        seccomp = try SeccompProfile(jsonValue: object.required("seccomp"), at: "spec.seccomp")
        let session = try object.required("newSession")
        guard let newSession = session.bool else { throw object.typeError("newSession", "a boolean", session) }
        self.newSession = newSession
        workingDirectory = try object.string("workingDirectory")
        guard workingDirectory.hasPrefix("/") else { throw SandboxSpecError("spec.workingDirectory: \(JSONValue.quoted(workingDirectory)) is not an absolute path") }
        command = try object.strings("command")
        guard let program = command.first else { throw SandboxSpecError("spec.command: empty, nothing to run") }
        guard program.hasPrefix("/") else { throw SandboxSpecError("spec.command[0]: \(JSONValue.quoted(program)) is not an absolute path") }
        for (index, word) in command.enumerated() where word.utf8.contains(0) {
            throw SandboxSpecError("spec.command[\(index)]: contains a NUL byte")
        }
        supervisorDescriptor = try object.optionalInteger("supervisorDescriptor")
        if let descriptor = supervisorDescriptor, !(3...1023).contains(descriptor) {
            throw SandboxSpecError("spec.supervisorDescriptor: \(descriptor) is not an inherited descriptor (3-1023)")
        }
        // A notify rule without a supervisor would make every such call fail (ENOSYS): refused
        // here so that init says why instead.
        if seccomp.needsSupervisor && supervisorDescriptor == nil {
            throw SandboxSpecError("spec.supervisorDescriptor: the seccomp profile has notify rules, which need a supervisor")
        }
        if !seccomp.needsSupervisor && supervisorDescriptor != nil {
            throw SandboxSpecError("spec.supervisorDescriptor: given, but no seccomp rule notifies a supervisor")
        }
    }
}

/// Resource limits init applies as rlimits (soft = hard, so the agent cannot raise them).
/// nil leaves a limit as inherited.
public struct SandboxLimits: Sendable, Hashable {
    /// RLIMIT_NPROC: processes (threads included) of the sandbox's uid. The kernel counts the uid's
    /// processes everywhere, not only in the sandbox, hence a value well above a build's needs.
    public var processes: Int?
    /// RLIMIT_DATA (not RLIMIT_AS: Node and the JVM reserve far more address space than they use,
    /// and RLIMIT_AS counts reservations). RLIMIT_DATA counts private writable mappings: the heap.
    public var memoryBytes: Int?
    /// RLIMIT_NOFILE.
    public var openFiles: Int?

    public init(processes: Int? = nil, memoryBytes: Int? = nil, openFiles: Int? = nil) {
        self.processes = processes
        self.memoryBytes = memoryBytes
        self.openFiles = openFiles
    }

    public var jsonValue: JSONValue {
        .object([
            "processes": processes.map { .number($0) } ?? .null,
            "memoryBytes": memoryBytes.map { .number($0) } ?? .null,
            "openFiles": openFiles.map { .number($0) } ?? .null,
        ])
    }

    init(jsonValue: JSONValue, at path: String) throws(SandboxSpecError) {
        let object = try StrictObject(jsonValue, at: path, known: ["processes", "memoryBytes", "openFiles"])
        processes = try object.optionalInteger("processes")
        memoryBytes = try object.optionalInteger("memoryBytes")
        openFiles = try object.optionalInteger("openFiles")
        for (key, value) in [("processes", processes), ("memoryBytes", memoryBytes), ("openFiles", openFiles)] {
            if let value, value < 1 { throw SandboxSpecError("\(path).\(key): \(value) must be at least 1") }
        }
    }
}

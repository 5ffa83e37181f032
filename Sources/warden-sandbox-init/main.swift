// The first process inside the sandbox (see Package.swift). Until it is built, it refuses to run.
#if canImport(Glibc)
import Glibc
#endif
let message = "warden-sandbox-init: not built yet\n"
_ = message.withCString { write(2, $0, strlen($0)) }
exit(2)

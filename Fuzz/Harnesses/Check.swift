// Shared by every harness: failed checks that say what failed. `precondition` would do, but an
// optimised build drops its message, and a finding without the message is hard to report.

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

func fail(_ message: String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    let text = "\n*** Warden fuzz check failed at \(file):\(line): \(message)\n"
    _ = text.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
    abort()
}

func check(_ condition: @autoclosure () -> Bool, _ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) {
    if !condition() { fail(message(), file: file, line: line) }
}

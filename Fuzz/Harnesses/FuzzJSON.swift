// libFuzzer harness: the JSON reader on arbitrary bytes. Besides not crashing or hanging, what it
// reads must survive a round trip: written back and read again, it is written the same way.

import WardenJSON

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let value: JSONValue
    do throws(JSONSyntaxError) {
        value = try JSONValue.parse(bytes: bytes)
    } catch {
        check(error.position.line >= 1 && error.position.column >= 1, "error position \(error.position) is not 1-based")
        check(error.position.offset >= 0 && error.position.offset <= size, "error offset \(error.position.offset) outside the input (\(size) bytes)")
        _ = error.message.utf8.count
        return 0
    }
    let text = value.serialized
    let again: JSONValue
    do throws(JSONSyntaxError) {
        again = try JSONValue.parse(text)
    } catch {
        fail("the writer's output does not read back: \(error) in \(text)")
    }
    check(again.serialized == text, "the round trip changed the value: \(text) became \(again.serialized)")
    // The String entry point must agree with the bytes entry point on valid UTF-8 input.
    if let utf8 = String(validating: bytes, as: UTF8.self) {
        do throws(JSONSyntaxError) {
            let fromString = try JSONValue.parse(utf8)
            check(fromString.serialized == text, "parse(String) and parse(bytes:) disagree")
        } catch {
            fail("parse(bytes:) accepted what parse(String) rejects: \(error)")
        }
    }
    return 0
}

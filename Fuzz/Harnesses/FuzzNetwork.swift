// libFuzzer harness: the egress policy's parsers on arbitrary bytes. The input is read as a host,
// an authority, an absolute-form target, a policy entry and a raw request head. Besides not
// crashing or hanging: a canonical host is canonical (canonicalising it again changes nothing, a
// name is letters, digits, '-', '_' and dots within DNS's limits), errors are one line, an
// address's text reads back as the same address, a target's host never keeps user info, and the
// head scanner gives the same answer however the bytes are split.

import WardenNetwork

private let ordinaryPolicy = EgressPolicy(
    allowed: ["*.example.com", "example.org:443", "10.0.0.0/8", "[::1]:8080"].map { (entry: try! NetworkEntry(parsing: $0), key: "sandbox.network.allowedDomains") },
    denied: ["evil.example.com", "169.254.169.254"].map { (entry: try! NetworkEntry(parsing: $0), key: "sandbox.network.deniedDomains") })

private func checkOneLine(_ text: String, _ what: String) {
    check(!text.utf8.contains(where: { $0 == 0x0a || $0 == 0x0d || $0 == 0 }), "\(what) is not one line: \(text.debugDescription)")
}

private func checkCanonical(_ host: Host, from input: String) {
    switch host {
    case .name(let name):
        let bytes = Array(name.utf8)
        check(!bytes.isEmpty && bytes.count <= 253, "name of \(bytes.count) bytes from \(input.debugDescription)")
        check(bytes.allSatisfy { ($0 >= 0x61 && $0 <= 0x7a) || ($0 >= 0x30 && $0 <= 0x39) || $0 == 0x2d || $0 == 0x5f || $0 == 0x2e },
              "name \(name.debugDescription) has a byte outside [a-z0-9-_.]")
        for label in bytes.split(separator: 0x2e, omittingEmptySubsequences: false) {
            check(!label.isEmpty && label.count <= 63, "name \(name.debugDescription) has a label of \(label.count) bytes")
        }
    case .address(let address):
        check(IPAddress.parse(address.description) == address, "address text \(address) does not read back")
        check(address.unmapped == address, "canonical address \(address) is still a mapped or NAT64 form")
    }
    do throws(HostSyntaxError) {
        let again = try canonicalHost(host.uriText)
        check(again == host, "canonicalising \(host.uriText.debugDescription) again gave \(again)")
    } catch {
        fail("the canonical host \(host.uriText.debugDescription) (from \(input.debugDescription)) is refused: \(error)")
    }
    let verdict = ordinaryPolicy.judge(host: host, port: 443)
    checkOneLine(verdict.reason, "a verdict")
    if case .address(let address) = host {
        check(ordinaryPolicy.judge(host: host, port: 443, resolved: address).allowed == false || verdict.allowed, "an address allowed only after resolving")
    }
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: size))
    let text = String(decoding: bytes, as: UTF8.self)

    if let address = IPAddress.parse(text) {
        check(IPAddress.parse(address.description) == address, "IPAddress text \(address) does not read back")
        check(IPAddress(bytes: address.bytes) == address, "IPAddress bytes do not read back")
        _ = address.category
    }
    do throws(HostSyntaxError) {
        checkCanonical(try canonicalHost(text), from: text)
    } catch {
        checkOneLine(error.description, "a host error")
    }
    do throws(HostSyntaxError) {
        let authority = try parseAuthority(text, defaultPort: 443)
        check((1...65535).contains(authority.port), "port \(authority.port) out of range")
        checkCanonical(authority.host, from: text)
    } catch {
        checkOneLine(error.description, "an authority error")
    }
    do throws(HostSyntaxError) {
        let target = try parseAbsoluteTarget(text)
        check(target.scheme == "http", "scheme \(target.scheme)")
        check(target.pathAndQuery.hasPrefix("/"), "path \(target.pathAndQuery.debugDescription) does not start with /")
        check(!target.pathAndQuery.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7f || $0 == UInt8(ascii: "#") }),
              "path \(target.pathAndQuery.debugDescription) has a space, a control byte or a fragment")
        check(!target.authority.asked.contains("@"), "the host kept user info: \(target.authority.asked.debugDescription)")
        checkCanonical(target.authority.host, from: text)
    } catch {
        checkOneLine(error.description, "a target error")
    }
    do throws(HostSyntaxError) {
        let entry = try NetworkEntry(parsing: text)
        let policy = EgressPolicy(allowed: [(entry, "sandbox.network.allowedDomains")], denied: [])
        for host in [Host.name("a.example.com"), .address(IPAddress.parse("127.0.0.1")!), .address(IPAddress.parse("::1")!)] {
            checkOneLine(policy.judge(host: host, port: 443, resolved: IPAddress.parse("127.0.0.1")!).reason, "a verdict")
        }
    } catch {
        checkOneLine(error.description, "an entry error")
    }

    // The head scanner: whole, split in two, byte by byte.
    var whole = RequestHeadScanner(maxHeadBytes: 2048, maxHeaderLines: 20)
    let answer = whole.feed(bytes)
    if case .complete(let length) = answer {
        check(length >= 4 && length <= size && Array(bytes[(length - 4)..<length]) == [13, 10, 13, 10], "head length \(length) does not end at an empty line")
    }
    let split = size / 2
    var halves = RequestHeadScanner(maxHeadBytes: 2048, maxHeaderLines: 20)
    var result = halves.feed(bytes[..<split])
    if case .needMore = result { result = halves.feed(bytes[split...]) }
    check(result == answer, "split feeding gave \(result), whole \(answer)")
    var single = RequestHeadScanner(maxHeadBytes: 2048, maxHeaderLines: 20)
    var last = RequestHeadScanner.Result.needMore
    for byte in bytes { last = single.feed(CollectionOfOne(byte)) }
    check(last == answer, "byte-by-byte feeding gave \(last), whole \(answer)")
    if case .complete = answer {
        // The parsed headers, as NIOHTTP1 would hand them over.
        var headers: [(name: String, value: String)] = []
        for line in text.split(separator: "\r\n").dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append((String(line[..<colon]), String(line[line.index(after: colon)...])))
        }
        if let problem = checkRequestHeaders(headers) { checkOneLine(problem.description, "a header problem") }
    }
    return 0
}

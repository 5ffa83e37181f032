// Small pieces of shell semantics the analyser needs: command names, the working directory after
// `cd`, and the text that `echo` and `printf` print (to read a script piped into a shell).

enum CommandNames {
    /// The last path component of a command word: `/usr/bin/curl` and `./curl` are `curl`.
    static func name(of word: String) -> String {
        guard let slash = word.lastIndex(of: "/") else { return word }
        let last = word[word.index(after: slash)...]
        return last.isEmpty ? word : String(last)
    }
}

enum Paths {
    /// `path` made absolute against `directory` and normalised lexically (`.`, `..`, `//`), as `cd`
    /// does by default; nil when it is relative and the directory is unknown.
    static func resolve(_ path: String, from directory: String?) -> String? {
        if path.hasPrefix("/") { return normalize(path) }
        guard let directory else { return nil }
        return normalize(directory + "/" + path)
    }

    static func normalize(_ path: String) -> String {
        var components: [Substring] = []
        for component in path.split(separator: "/", omittingEmptySubsequences: true) {
            switch component {
            case ".":
                continue
            case "..":
                if !components.isEmpty { components.removeLast() }
            default:
                components.append(component)
            }
        }
        // Appended one by one: the generic `joined(separator:)` over substrings looks up its
        // conformances at run time on first use, a twentieth of a hook call.
        var result = ""
        for part in components {
            result.append("/")
            result.append(contentsOf: part)
        }
        return result.isEmpty ? "/" : result
    }

    /// The working directory after `cd`, `pushd` or `popd` with these arguments.
    static func directory(after command: String, arguments: [ExpandedWord], state: ShellState) -> String? {
        guard command != "popd" else { return nil }
        var operands: [ExpandedWord] = []
        var optionsEnded = false
        for argument in arguments {
            let text = argument.text
            if !optionsEnded, argument.isStatic, text == "--" {
                optionsEnded = true
                continue
            }
            if !optionsEnded, argument.isStatic, text.hasPrefix("-"), text.count > 1,
                text.dropFirst().allSatisfy({ "LPe@n".contains($0) })
            {
                continue
            }
            operands.append(argument)
        }
        guard let target = operands.first else {
            // `cd` alone goes home; `pushd` alone swaps the top two directories.
            return command == "cd" ? state.value(of: "HOME").flatMap { resolve($0, from: state.workingDirectory) } : nil
        }
        // bash refuses `cd a b` without changing directory; a computed or `-` target is unknown.
        guard operands.count == 1, target.isStatic, target.text != "-", !target.text.isEmpty else { return nil }
        if command == "pushd", let first = target.text.first, first == "+" || first == "-" { return nil }
        return resolve(target.text, from: state.workingDirectory)
    }
}

/// What `echo` and `printf` print, for the text piped into a shell.
enum LiteralOutput {
    static func echo(_ arguments: [String]) -> String? {
        var index = 0
        var newline = true
        var escapes = false
        while index < arguments.count {
            let argument = arguments[index]
            guard argument.count > 1, argument.hasPrefix("-"), argument.dropFirst().allSatisfy({ "neE".contains($0) })
            else { break }
            for flag in argument.dropFirst() {
                switch flag {
                case "n": newline = false
                case "e": escapes = true
                default: escapes = false
                }
            }
            index += 1
        }
        var text = arguments[index...].joined(separator: " ")
        if escapes {
            guard let decoded = decodeEscapes(text, octalNeedsZero: true) else {
                return nil
            }
            text = decoded.text
            if decoded.stop { newline = false }
        }
        return newline ? text + "\n" : text
    }

    /// `printf FORMAT ARGS…` for the conversions that print text as given (`%s`, `%b`, `%c`,
    /// `%%`); nil when another conversion is used.
    static func printf(_ arguments: [String]) -> String? {
        guard let format = arguments.first else { return nil }
        var remaining = Array(arguments.dropFirst())
        let formatBytes = Array(format.utf8)
        var output: [UInt8] = []
        var rounds = 0
        repeat {
            rounds += 1
            var i = 0
            while i < formatBytes.count {
                let c = formatBytes[i]
                if c == .backslash {
                    guard let escape = decodeEscape(formatBytes, at: i, octalNeedsZero: false) else { return nil }
                    if escape.stop { return String(decoding: output, as: UTF8.self) }
                    output.append(contentsOf: escape.bytes)
                    i = escape.next
                    continue
                }
                guard c == 0x25 else {
                    output.append(c)
                    i += 1
                    continue
                }
                guard i + 1 < formatBytes.count else { return nil }
                let conversion = formatBytes[i + 1]
                i += 2
                switch conversion {
                case 0x25:
                    output.append(0x25)
                case 0x73:
                    if !remaining.isEmpty { output.append(contentsOf: remaining.removeFirst().utf8) }
                case 0x62:
                    let argument = remaining.isEmpty ? "" : remaining.removeFirst()
                    guard let decoded = decodeEscapes(argument, octalNeedsZero: true) else { return nil }
                    output.append(contentsOf: decoded.text.utf8)
                    if decoded.stop { return String(decoding: output, as: UTF8.self) }
                case 0x63:
                    let argument = remaining.isEmpty ? "" : remaining.removeFirst()
                    if let first = argument.first { output.append(contentsOf: String(first).utf8) }
                default:
                    return nil
                }
            }
        } while !remaining.isEmpty && rounds < 1000
        return String(decoding: output, as: UTF8.self)
    }

    /// The escapes of `echo -e` and `printf`: `\n`, `\t`, `\\`, `\0nnn` or `\nnn`, `\xHH`, `\c`
    /// (stop output). nil for escapes this does not model.
    static func decodeEscapes(_ text: String, octalNeedsZero: Bool) -> (text: String, stop: Bool)? {
        var bytes: [UInt8] = []
        let input = Array(text.utf8)
        var i = 0
        while i < input.count {
            guard input[i] == .backslash else {
                bytes.append(input[i])
                i += 1
                continue
            }
            guard let escape = decodeEscape(input, at: i, octalNeedsZero: octalNeedsZero) else { return nil }
            if escape.stop { return (String(decoding: bytes, as: UTF8.self), true) }
            bytes.append(contentsOf: escape.bytes)
            i = escape.next
        }
        return (String(decoding: bytes, as: UTF8.self), false)
    }

    /// The escape starting with the backslash at `index`.
    static func decodeEscape(
        _ input: [UInt8], at index: Int, octalNeedsZero: Bool
    ) -> (bytes: [UInt8], next: Int, stop: Bool)? {
        guard index + 1 < input.count else { return ([.backslash], index + 1, false) }
        let e = input[index + 1]
        var i = index + 2
        switch e {
        case 0x6E: return ([0x0A], i, false)
        case 0x74: return ([0x09], i, false)
        case 0x72: return ([0x0D], i, false)
        case 0x61: return ([0x07], i, false)
        case 0x62: return ([0x08], i, false)
        case 0x66: return ([0x0C], i, false)
        case 0x76: return ([0x0B], i, false)
        case 0x65, 0x45: return ([0x1B], i, false)
        case .backslash: return ([.backslash], i, false)
        case .doubleQuote: return ([.doubleQuote], i, false)
        case 0x63: return ([], i, true)
        case 0x78:
            var value: UInt32 = 0
            var count = 0
            while count < 2, i < input.count, input[i].isHexDigit {
                value = value * 16 + input[i].hexValue
                i += 1
                count += 1
            }
            guard count > 0 else { return nil }
            return ([UInt8(truncatingIfNeeded: value)], i, false)
        case 0x30...0x37:
            if octalNeedsZero, e != .zero { return nil }
            var value: UInt32 = octalNeedsZero ? 0 : UInt32(e - .zero)
            var count = octalNeedsZero ? 0 : 1
            while count < 3, i < input.count, input[i] >= .zero, input[i] <= 0x37 {
                value = value * 8 + UInt32(input[i] - .zero)
                i += 1
                count += 1
            }
            return ([UInt8(truncatingIfNeeded: value)], i, false)
        default:
            return ([.backslash, e], i, false)
        }
    }
}

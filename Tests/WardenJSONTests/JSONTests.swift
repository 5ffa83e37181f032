import Testing
import WardenJSON

@Suite struct JSONReaderTests {
    @Test func readsEveryKindOfValue() throws {
        let value = try JSONValue.parse(#"{"a": [1, -2.5e3, true, false, null], "b": "x\"y\\z\n\u00e9\ud83d\ude00"}"#)
        #expect(value["a"]?.array?.count == 5)
        #expect(value["a"]?.array?[0].integer == 1)
        #expect(value["a"]?.array?[1].kind == .number("-2.5e3"))
        #expect(value["a"]?.array?[2].bool == true)
        #expect(value["a"]?.array?[4].isNull == true)
        #expect(value["b"]?.string == "x\"y\\z\n\u{E9}\u{1F600}")
    }

    @Test func keepsPositionsOfKeysAndValues() throws {
        let text = "{\n  \"permissions\": {\n    \"deny\": [\"Bash(curl:*)\"]\n  }\n}"
        let value = try JSONValue.parse(text)
        let permissions = try #require(value.members?.first)
        #expect(permissions.keyPosition == JSONPosition(line: 2, column: 3, offset: 4))
        let deny = try #require(value["permissions"]?.members?.first)
        #expect(deny.keyPosition.line == 3 && deny.keyPosition.column == 5)
        #expect(deny.value.array?.first?.position.line == 3)
        #expect(deny.value.array?.first?.position.column == 14)
    }

    @Test func columnsCountCharactersNotBytes() throws {
        let value = try JSONValue.parse("{\"é\": 1, \"x\": 2}")
        #expect(value.members?[1].keyPosition.column == 10)
    }

    @Test("positions on one long line and across lines: each value's column counted from its line's start")
    func positionsOfManyValuesOnOneLine() throws {
        // Columns are counted on from the last position asked (not from the line's start each
        // time): every value's and key's position must still be what counting from the start gives.
        var text = "[\"é\", "
        for index in 0..<300 { text += index % 7 == 0 ? "{\"ké\(index)\": [\(index)]}, \n " : "\"v\(index)\", " }
        text += "true]"
        let value = try JSONValue.parse(text)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        func expected(_ offset: Int) -> JSONPosition {
            var lineStart = 0
            var line = 1
            for (number, content) in lines.enumerated() {
                let end = lineStart + content.utf8.count
                if offset <= end { line = number + 1; break }
                lineStart = end + 1
            }
            let column = 1 + String(decoding: Array(text.utf8)[lineStart..<offset], as: UTF8.self).unicodeScalars.count
            return JSONPosition(line: line, column: column, offset: offset)
        }
        let elements = try #require(value.array)
        #expect(elements.count == 302)
        for element in elements {
            #expect(element.position == expected(element.position.offset))
            for member in element.members ?? [] {
                #expect(member.keyPosition == expected(member.keyPosition.offset))
                #expect(member.value.position == expected(member.value.position.offset))
                #expect(member.value.array?.first.map { $0.position == expected($0.position.offset) } ?? false)
            }
        }
        #expect(elements[1].position == JSONPosition(line: 1, column: 7, offset: 7))
    }

    @Test func lastDuplicateKeyWinsButAllAreKept() throws {
        let value = try JSONValue.parse(#"{"a": 1, "a": 2}"#)
        #expect(value["a"]?.integer == 2)
        #expect(value.members?.count == 2)
    }

    @Test(arguments: [
        ("", "1:1: expected a value, found end of input"),
        ("{", "1:2: expected a key in double quotes, found end of input"),
        ("{\"a\" 1}", "1:6: expected ':' after key \"a\", found '1'"),
        ("[1,]", "1:4: expected a value, found ']'"),
        ("[1 2]", "1:4: expected ',' or ']' in array, found '2'"),
        ("{\"a\":1,}", "1:8: expected a key in double quotes, found '}'"),
        ("\"abc", "1:1: unterminated string"),
        ("\"a\tb\"", "1:3: control character in string (escape it as \\u00XX)"),
        ("\"\\q\"", "1:2: invalid escape '\\q' in string"),
        ("01", "1:2: leading zero in number"),
        ("tru", "1:1: expected 'true'"),
        ("{}\n x", "2:2: unexpected 'x' after the JSON value"),
        ("// comment\n{}", "1:1: expected a value, found '/'"),
    ])
    func reportsWhereTextIsNotJSON(text: String, message: String) {
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(text) }
        do {
            _ = try JSONValue.parse(text)
        } catch {
            #expect(error.description == message)
        }
    }

    @Test func limitsNestingInsteadOfOverflowingTheStack() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(deep) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        #expect((try? JSONValue.parse(fine)) != nil)
    }

    @Test func unpairedSurrogateBecomesReplacementCharacter() throws {
        #expect(try JSONValue.parse(#""\ud800x""#).string == "\u{FFFD}x")
    }

    @Test func rejectsInvalidUTF8() {
        for bytes: [UInt8] in [[0x22, 0xFF, 0x22], [0x22, 0x61, 0xC3, 0x22], [0x22, 0x5C, 0x6E, 0xED, 0xA0, 0x80, 0x22]] {
            #expect(throws: JSONSyntaxError.self) { try JSONValue.parse(bytes: bytes) }
        }
        #expect((try? JSONValue.parse(bytes: Array("\"é\\n\"".utf8)))?.string == "é\n")
    }

    @Test func messagesQuoteKeysTheyRepeat() {
        do {
            _ = try JSONValue.parse("{\"a\\nb\" 1}")
            Issue.record("parsed")
        } catch {
            #expect(error.message == "expected ':' after key \"a\\nb\", found '1'")
        }
    }

    @Test func acceptsByteOrderMark() throws {
        #expect(try JSONValue.parse(bytes: [0xEF, 0xBB, 0xBF] + Array("[]".utf8)).array?.isEmpty == true)
    }
}

@Suite struct JSONWriterTests {
    @Test func writesBackTheSameShape() throws {
        let text = #"{"stdout":"a\nb","n":1.50,"ok":true,"x":null,"list":[{"k":"v"}],"q":"\"\\\u0001"}"#
        let value = try JSONValue.parse(text)
        #expect(value.serialized == text)
        #expect(try JSONValue.parse(value.serialized) == value)
    }

    @Test func escapesControlCharactersAndQuotes() {
        #expect(JSONValue.string("a\"b\\c\u{1}\td").serialized == #""a\"b\\c\u0001\td""#)
        #expect(JSONValue.string("é€😀").serialized == "\"é€😀\"")
    }

    @Test func buildsObjectsInOrder() {
        let value = JSONValue.object(["b": .number(1), "a": .array([.string("x"), .null, .bool(false)])])
        #expect(value.serialized == #"{"b":1,"a":["x",null,false]}"#)
    }
}

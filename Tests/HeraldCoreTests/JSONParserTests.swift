import Crypto
import Foundation
import Testing

@testable import HeraldCore

@Suite struct JSONParserTests {
    /// What Foundation's decoder made of a document through `JSONValue`'s `Decodable` conformance
    /// (payloads stored before the parser were read that way).
    func foundation(_ text: String) throws -> JSONValue {
        try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
    }

    @Test func readsWhatFoundationsDecoderRead() throws {
        let documents = [
            "null", "true", "false", "0", "-0", "42", "-42", "9223372036854775807", "-9223372036854775808",
            "9223372036854775808", "1.5", "-0.25", "1e2", "1E+2", "2.5e-3", "1.0",
            #""""#, #""plain""#, #""esc \" \\ \/ \b \f \n \r \t""#, #""\u00e9\u65e5\ud83c\udf89""#, #""é日🎉""#,
            "[]", "{}", " [1, \"two\", [3.5, null], {\"k\": false}] ", #"{"b":1,"a":{"z":"last","é":"accent"}}"#,
        ]
        for document in documents {
            #expect(try JSONValue.decode(document) == (try foundation(document)), "\(document)")
        }
        // A UTF-8 byte order mark is ignored, as Foundation ignored it.
        #expect(try JSONValue.decode([0xEF, 0xBB, 0xBF] + Array(#"{"a":1}"#.utf8)) == ["a": 1])
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let value = JSONEncodingTests.random(depth: 4, using: &generator)
            let text = value.encodedString()
            #expect(try JSONValue.decode(text) == (try foundation(text)))
        }
    }

    @Test(arguments: [
        "[1,]", #"{"a":1,}"#, #"{"a":1,"a":2}"#, "[1 2]", #"{"a" 1}"#, #"{a:1}"#, "'x'", "01", "1.", ".5", "-", "1e",
        "+1", "NaN",
        "Infinity", "tru", "nul", "[", "{", #""open"#, "\"tab\there\"", #""\x""#, #""\u12""#, #""\ud800""#,
        #""\ud800x""#, #""\ud800\u0041""#, "1e400000000000000000000000",
        #""\udc00\ud800""#, "// comment\n1", "1 2", "", "   ",
    ])
    func refusesWhatIsNotJSON(_ document: String) {
        #expect(throws: JSONParseError.self) { try JSONValue.decode(document) }
    }

    @Test func refusesInvalidUTF8() throws {
        #expect(throws: JSONParseError.self) { try JSONValue.decode([0x22, 0xC3, 0x28, 0x22]) }
        #expect(try JSONValue.decode([0x22, 0xC3, 0xA9, 0x22]) == "é")
    }

    @Test func stopsAtTheDepthLimitBeforeTheStackDoes() throws {
        #expect(try JSONValue.decode("[[[]]]", maxDepth: 3) == [[[]]])
        #expect(throws: JSONParseError(reason: .tooDeep(limit: 2), offset: 2)) {
            try JSONValue.decode("[[[]]]", maxDepth: 2)
        }
        let deep = String(repeating: "[", count: 1_000_000)
        #expect(throws: JSONParseError(reason: .tooDeep(limit: 512), offset: 512)) { try JSONValue.decode(deep) }
    }

    @Test func saysWhereAndWhy() {
        #expect(throws: JSONParseError(reason: .invalid("expected ',' or '}' in an object"), offset: 7)) {
            try JSONValue.decode(#"{"a":1 "b":2}"#)
        }
        #expect(throws: JSONParseError(reason: .invalid("trailing comma before '}'"), offset: 8)) {
            try JSONValue.decode(#"{"a":1, }"#)
        }
        #expect(throws: JSONParseError(reason: .invalid("trailing comma before ']'"), offset: 3)) {
            try JSONValue.decode("[1,]")
        }
    }
}

@Suite struct TextFormTests {
    @Test func timestampsMatchFoundationsISO8601() throws {
        let style = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        var generator = SystemRandomNumberGenerator()
        let samples =
            [0, 951_782_400, 4_107_542_399, 1_703_376_000.123]
            + (0..<500).map { _ in Double(Int64.random(in: 0...253_402_300_799_000, using: &generator)) / 1000 }
        for seconds in samples {
            let date = Date(timeIntervalSince1970: seconds)
            let iso = Timestamp.iso(date)
            // Foundation writes milliseconds (truncated); Herald writes microseconds (Channex's form).
            #expect(iso.prefix(20) == date.formatted(style).prefix(20), "\(seconds)")
            let micros = Int64((seconds * 1_000_000).rounded()) % 1_000_000
            #expect(iso.dropFirst(20) == String(micros + 1_000_000).dropFirst() + "Z")
            #expect(Timestamp.parse(iso).map(Timestamp.millis) == Timestamp.millis(date))
        }
        #expect(Timestamp.iso(Date(timeIntervalSince1970: 1_640_304_000)) == "2021-12-24T00:00:00.000000Z")
        // Before 1970, and years ISO 8601 parsing accepts past 9999, keep every digit.
        #expect(Timestamp.iso(Date(timeIntervalSince1970: -86_400.5)) == "1969-12-30T23:59:59.500000Z")
        let far = try #require(Timestamp.parse("12345-01-01T00:00:00Z"))
        #expect(Timestamp.iso(far) == "12345-01-01T00:00:00.000000Z")
    }

    @Test func apiKeyHashesAreLowercaseHexSHA256() {
        #expect(
            KeyMaterial.hash(apiKey: "abc")
                == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.string([0x00, 0x0f, 0xf0, 0xff]) == "000ff0ff")
    }
}

@Suite struct UUIDTextTests {
    @Test func matchesFoundationsForms() {
        for _ in 0..<500 {
            let id = Bool.random() ? UUID() : UUID.timeOrdered()
            #expect(id.text == id.uuidString.lowercased())
            #expect(UUID(text: id.text) == id)
            #expect(UUID(text: id.uuidString) == id)
        }
        let refused = [
            "", "0", "00000000-0000-0000-0000-00000000000G", "00000000-0000-0000-0000-0000000000000",
            "00000000-0000-0000-0000-00000000000", "000000000000-0000-0000-0000-00000000",
            "{00000000-0000-0000-0000-000000000000}",
            "00000000_0000_0000_0000_000000000000", "0000000-00000-0000-0000-000000000000",
            "é0000000-0000-0000-0000-00000000000",
        ]
        for text in refused {
            #expect(UUID(text: text) == nil, "\(text)")
            #expect(UUID(uuidString: text) == nil, "\(text)")
        }
    }
}

/// Dates a person could not have meant are refused, not rolled over into others.
@Suite struct TimestampTests {
    @Test(arguments: [
        "2024-01-01T12:99:00Z", "2024-01-01T24:00:00Z", "2024-01-01T12:00:60Z", "2024-13-01T00:00:00Z",
        "2024-00-10T00:00:00Z", "2023-02-29T00:00:00Z", "2024-04-31T00:00:00Z", "2024-01-01T00:00:00+25:00",
        "2024-01-01T00:00:00+01:75", "2024-1-01T00:00:00Z", "yesterday",
    ])
    func impossibleDatesAreRefused(_ text: String) {
        #expect(Timestamp.parse(text) == nil)
    }

    @Test(arguments: [
        "2024-02-29T23:59:59Z", "2024-01-01T00:00:00.123Z", "2024-01-01T00:00:00+05:30", "2024-01-01T00:00:00",
        "2000-02-29T00:00:00Z", "12345-01-01T00:00:00Z",
    ])
    func realDatesAreRead(_ text: String) {
        #expect(Timestamp.parse(text) != nil)
    }
}

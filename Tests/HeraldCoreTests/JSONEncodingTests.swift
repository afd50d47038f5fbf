import Foundation
import Testing

@testable import HeraldCore

@Suite struct JSONEncodingTests {
    /// What Foundation's encoder writes, which the direct writer must match byte for byte (stored
    /// payloads and signed bodies were written that way).
    func foundation(_ value: JSONValue) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(value), as: UTF8.self)
    }

    @Test func writesWhatFoundationsEncoderWrites() throws {
        let samples: [JSONValue] = [
            .null, true, false, 0, -42, .int(Int64.max), .int(Int64.min), .double(1.5), .double(-0.25), .double(1e21),
            .double(3.0e-7), .double(2.0),
            "", "plain", "quote \" backslash \\ slash / url https://a.example/x?y=1",
            "control \u{0}\u{1}\u{8}\u{9}\u{A}\u{C}\u{D}\u{1F} end", "unicode é ü 日本 🎉 \u{2028}\u{2029}",
            [], [:], [1, "two", [.double(3.5), nil], ["k": false]],
            ["b": 1, "a": ["z": "last", "é": "accent", "B": "upper", "_": "under", "10": "digits", "9": "nine"]],
        ]
        for sample in samples {
            #expect(sample.encodedString() == (try foundation(sample)))
        }
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<200 {
            let value = Self.random(depth: 3, using: &generator)
            #expect(value.encodedString() == (try foundation(value)))
        }
    }

    static func random(depth: Int, using generator: inout SystemRandomNumberGenerator) -> JSONValue {
        let scalars = Array("aZ09 \"\\/\n\té日🎉\u{1}".unicodeScalars)
        func text() -> String {
            String(
                String.UnicodeScalarView(
                    (0..<Int.random(in: 0..<8, using: &generator)).map { _ in
                        scalars.randomElement(using: &generator)!
                    }))
        }
        switch Int.random(in: 0..<(depth > 0 ? 7 : 5), using: &generator) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .int(Int64.random(in: -1_000_000...1_000_000, using: &generator))
        case 3: return .string(text())
        case 4: return .double(Double(Int.random(in: -1000...1000, using: &generator)) / 8)
        case 5:
            return .array(
                (0..<Int.random(in: 0..<4, using: &generator)).map { _ in
                    random(depth: depth - 1, using: &generator)
                })
        default:
            var members: [String: JSONValue] = [:]
            for _ in 0..<Int.random(in: 0..<4, using: &generator) {
                members[text()] = random(depth: depth - 1, using: &generator)
            }
            return .object(members)
        }
    }
}

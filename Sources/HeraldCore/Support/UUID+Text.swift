import Foundation

extension UUID {
    /// The lowercase form Herald stores and answers with (as Channex does).
    /// Written byte by byte: `uuidString` formats through `sprintf`, then had to be lowercased.
    public var text: String {
        withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { output in
                var at = 0
                for (index, byte) in bytes.enumerated() {
                    if index == 4 || index == 6 || index == 8 || index == 10 {
                        output[at] = UInt8(ascii: "-")
                        at += 1
                    }
                    output[at] = Hex.digits[Int(byte >> 4)]
                    output[at + 1] = Hex.digits[Int(byte & 0x0f)]
                    at += 2
                }
                return at
            }
        }
    }

    /// Reads the 36-character form in either case, as `UUID(uuidString:)` does, without `sscanf`.
    public init?(text: some StringProtocol) {
        var uuid: uuid_t = (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        let valid = withUnsafeMutableBytes(of: &uuid) { output -> Bool in
            var count = 0
            var written = 0
            var high: UInt8 = 0
            for character in text.utf8 {
                defer { count += 1 }
                if count == 8 || count == 13 || count == 18 || count == 23 {
                    guard character == UInt8(ascii: "-") else { return false }
                    continue
                }
                guard let digit = Hex.value(of: character) else { return false }
                guard written < 32 else { return false }
                if written % 2 == 0 {
                    high = digit
                } else {
                    output[written / 2] = high << 4 | digit
                }
                written += 1
            }
            return count == 36 && written == 32
        }
        guard valid else { return nil }
        self.init(uuid: uuid)
    }
}

extension UUID {
    /// A version 7 UUID (RFC 9562): the Unix time in milliseconds, then 74 random bits. Ids made
    /// later sort after earlier ones, as text too, so rows keyed by them are appended to their
    /// index rather than inserted at random places: inserts stay cheap as tables grow.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        var random = SystemRandomNumberGenerator()
        let millis = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        let high = random.next() as UInt64
        let low = random.next() as UInt64
        return UUID(
            uuid: (
                UInt8(truncatingIfNeeded: millis >> 40), UInt8(truncatingIfNeeded: millis >> 32),
                UInt8(truncatingIfNeeded: millis >> 24), UInt8(truncatingIfNeeded: millis >> 16),
                UInt8(truncatingIfNeeded: millis >> 8), UInt8(truncatingIfNeeded: millis),
                0x70 | UInt8(truncatingIfNeeded: high >> 60), UInt8(truncatingIfNeeded: high >> 52),
                0x80 | UInt8(truncatingIfNeeded: high >> 46) & 0x3f, UInt8(truncatingIfNeeded: high >> 38),
                UInt8(truncatingIfNeeded: high >> 30), UInt8(truncatingIfNeeded: low >> 56),
                UInt8(truncatingIfNeeded: low >> 48), UInt8(truncatingIfNeeded: low >> 40),
                UInt8(truncatingIfNeeded: low >> 32), UInt8(truncatingIfNeeded: low >> 24)
            ))
    }
}

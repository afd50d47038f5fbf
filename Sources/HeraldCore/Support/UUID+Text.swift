import Foundation

extension UUID {
    /// The lowercase form Herald stores and answers with (as Channex does).
    public var text: String { uuidString.lowercased() }
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

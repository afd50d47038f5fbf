import Foundation

/// Herald's wire and storage forms of a point in time.
public enum Timestamp {
    /// ISO 8601 UTC with microseconds, as Channex writes `timestamp` (`2021-12-24T00:00:00.000000Z`).
    public static func iso(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = micros.quotient(dividingBy: 1_000_000)
        let fraction = micros - seconds * 1_000_000
        let day = Date(timeIntervalSince1970: TimeInterval(seconds))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: day)
        return String(
            format: "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ", c.year!, c.month!, c.day!, c.hour!, c.minute!, c.second!,
            Int(fraction))
    }

    /// Parses ISO 8601 with or without fractional seconds, with `Z`, an offset, or neither (taken as UTC).
    public static func parse(_ text: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        let plain = Date.ISO8601FormatStyle()
        if let date = try? withFraction.parse(text) { return date }
        if let date = try? plain.parse(text) { return date }
        if !text.hasSuffix("Z"), !text.contains("+") {
            if let date = try? withFraction.parse(text + "Z") { return date }
            if let date = try? plain.parse(text + "Z") { return date }
        }
        return nil
    }

    /// Now, at the millisecond precision Herald stores, so an answer matches a later read.
    public static func now() -> Date { date(millis: millis(Date())) }

    /// Milliseconds since 1970: the storage form.
    public static func millis(_ date: Date) -> Int64 { Int64((date.timeIntervalSince1970 * 1000).rounded()) }

    public static func date(millis: Int64) -> Date { Date(timeIntervalSince1970: TimeInterval(millis) / 1000) }
}

extension Int64 {
    /// Floor division (rounds toward negative infinity).
    fileprivate func quotient(dividingBy divisor: Int64) -> Int64 {
        let q = self / divisor
        return (self % divisor < 0) ? q - 1 : q
    }
}

import Foundation

/// Herald's wire and storage forms of a point in time.
public enum Timestamp {
    /// ISO 8601 UTC with microseconds, as Channex writes `timestamp` (`2021-12-24T00:00:00.000000Z`).
    /// Written with arithmetic (days to a civil date, as in Howard Hinnant's `civil_from_days`)
    /// rather than `Calendar` and `String(format:)`, which cost 2% of an ingest's CPU.
    public static func iso(_ date: Date) -> String {
        let micros = Int64((date.timeIntervalSince1970 * 1_000_000).rounded())
        let seconds = micros.quotient(dividingBy: 1_000_000)
        let fraction = micros - seconds * 1_000_000
        let days = seconds.quotient(dividingBy: 86_400)
        let secondOfDay = seconds - days * 86_400
        // civil_from_days: eras of 400 years starting on 1 March.
        let shifted = days + 719_468
        let era = shifted.quotient(dividingBy: 146_097)
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1_460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthIndex = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * monthIndex + 2) / 5 + 1
        let month = monthIndex < 10 ? monthIndex + 3 : monthIndex - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)

        var output: [UInt8] = []
        output.reserveCapacity(27)
        func digits(_ value: Int64, _ width: Int) {
            var divisor: Int64 = 1
            for _ in 1..<width { divisor *= 10 }
            var rest = value
            while divisor > 0 {
                output.append(UInt8(ascii: "0") + UInt8(rest / divisor % 10))
                rest %= divisor
                divisor /= 10
            }
        }
        // Four digits, as Channex writes them; years past 9999 (which ISO 8601 parsing accepts)
        // and before year 0 keep all theirs and their sign.
        if year < 0 { output.append(UInt8(ascii: "-")) }
        digits(abs(year), max(4, String(abs(year)).utf8.count))
        output.append(UInt8(ascii: "-"))
        digits(month, 2)
        output.append(UInt8(ascii: "-"))
        digits(day, 2)
        output.append(UInt8(ascii: "T"))
        digits(secondOfDay / 3_600, 2)
        output.append(UInt8(ascii: ":"))
        digits(secondOfDay / 60 % 60, 2)
        output.append(UInt8(ascii: ":"))
        digits(secondOfDay % 60, 2)
        output.append(UInt8(ascii: "."))
        digits(fraction, 6)
        output.append(UInt8(ascii: "Z"))
        return String(decoding: output, as: UTF8.self)
    }

    /// Parses ISO 8601 with or without fractional seconds, with `Z`, an offset, or neither (taken as UTC).
    /// Field values must be real ones: Foundation's parser rolls `12:99` over into `13:39` and
    /// February 30 into March.
    public static func parse(_ text: String) -> Date? {
        guard fieldsAreReal(text) else { return nil }
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

    /// Whether `YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]` names a real day and time of day (the year
    /// may have more digits and a sign, as ``iso(_:)`` writes years past 9999 and before 0).
    static func fieldsAreReal(_ text: String) -> Bool {
        let all = Array(text.utf8)
        let signed = all.first == UInt8(ascii: "-") || all.first == UInt8(ascii: "+")
        guard let yearEnd = all.dropFirst(signed ? 1 : 0).firstIndex(of: UInt8(ascii: "-")), yearEnd >= 4 else {
            return false
        }
        // The fields after the year, at fixed places from here.
        let bytes = Array(all[(yearEnd - 4)...])
        guard bytes.count >= 19, bytes[7] == UInt8(ascii: "-"),
            bytes[10] == UInt8(ascii: "T") || bytes[10] == UInt8(ascii: "t"), bytes[13] == UInt8(ascii: ":"),
            bytes[16] == UInt8(ascii: ":")
        else { return false }
        func number(_ digits: ArraySlice<UInt8>) -> Int? {
            var value = 0
            for byte in digits {
                guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
                value = value * 10 + Int(byte - UInt8(ascii: "0"))
            }
            return value
        }
        guard let year = number(all[(signed ? 1 : 0)..<yearEnd]), let month = number(bytes[5..<7]),
            let day = number(bytes[8..<10]), let hour = number(bytes[11..<13]), let minute = number(bytes[14..<16]),
            let second = number(bytes[17..<19]), (1...12).contains(month), hour < 24, minute < 60, second < 60
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        guard (1...days).contains(day) else { return false }
        // An offset's hours and minutes, where one is given.
        if let sign = bytes[19...].firstIndex(where: { $0 == UInt8(ascii: "+") || $0 == UInt8(ascii: "-") }) {
            guard bytes.count == sign + 6, bytes[sign + 3] == UInt8(ascii: ":"),
                let hours = number(bytes[(sign + 1)..<(sign + 3)]),
                let minutes = number(bytes[(sign + 4)..<(sign + 6)]),
                hours < 24, minutes < 60
            else { return false }
        }
        return true
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

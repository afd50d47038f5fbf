import Foundation

/// Where Herald's time comes from: the wall time it stamps and schedules with, and sleeping until
/// a wall time comes. Injected, so that tests move time on instead of waiting for it.
public struct HeraldClock: Sendable {
    /// The current wall time.
    public var now: @Sendable () -> Date
    /// Returns once `date` has come on this clock (at once if it has); throws when cancelled.
    public var sleepUntil: @Sendable (Date) async throws -> Void

    public init(now: @escaping @Sendable () -> Date, sleepUntil: @escaping @Sendable (Date) async throws -> Void) {
        self.now = now
        self.sleepUntil = sleepUntil
    }

    /// Now, at the millisecond precision Herald stores, so an answer matches a later read.
    public func timestamp() -> Date { Timestamp.date(millis: Timestamp.millis(now())) }

    /// The system's wall time.
    public static let system = HeraldClock(
        now: { Date() },
        sleepUntil: { date in
            let wait = date.timeIntervalSinceNow
            if wait > 0 { try await Task.sleep(for: .milliseconds(Int64((wait * 1000).rounded(.up)))) }
        })

    /// Wall time that moves with `clock` from `origin` on (a test clock that the test advances).
    public init<C: Clock & Sendable>(_ clock: C, startingAt origin: Date) where C.Duration == Duration {
        let start = clock.now
        self.now = { origin.addingTimeInterval(start.duration(to: clock.now).seconds) }
        self.sleepUntil = { date in
            // To the microsecond: a Date this far from 1970 carries a quarter-microsecond of noise,
            // and a test clock moved to exactly the due time must wake what is due then.
            let offset = Duration.microseconds(Int64((date.timeIntervalSince(origin) * 1_000_000).rounded()))
            let deadline = start.advanced(by: offset)
            guard deadline > clock.now else { return }
            // A nanosecond early: a test clock suspends a sleeper whose deadline equals its now
            // (the test advanced meanwhile) until the next advance, which may never come.
            try await clock.sleep(until: deadline.advanced(by: .nanoseconds(-1)), tolerance: nil)
        }
    }
}

extension Duration {
    /// The duration in seconds, as a floating-point number.
    public var seconds: TimeInterval {
        let (seconds, attoseconds) = components
        return TimeInterval(seconds) + TimeInterval(attoseconds) / 1e18
    }
}

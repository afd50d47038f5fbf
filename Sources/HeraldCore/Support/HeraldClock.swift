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
        let now = self.now
        self.sleepUntil = { date in
            guard date > now() else { return }
            try await clock.sleep(until: start.advanced(by: .seconds(date.timeIntervalSince(origin))), tolerance: nil)
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

import Foundation

/// When to try a delivery again: the delay before each retry, after the first try.
public struct RetryPolicy: Sendable, Hashable {
    /// Seconds to wait before retry 1, 2, …; empty: one try only.
    public var scheduleSeconds: [Int]

    public init(scheduleSeconds: [Int]) {
        self.scheduleSeconds = scheduleSeconds
    }

    /// Channex's schedule: 1m, 2m, 4m, 8m, 15m, 30m, 1h, 2h, 4h, 6h, 10h (12 tries, about 24 h).
    public static let channex = RetryPolicy(scheduleSeconds: [
        60, 120, 240, 480, 900, 1800, 3600, 7200, 14400, 21600, 36000,
    ])

    /// A single try (OCTO `retryOnError: false`).
    public static let none = RetryPolicy(scheduleSeconds: [])

    /// How far jitter moves a delay, either way.
    public static let jitter = 0.1
    /// The longest a `Retry-After` may push a retry out.
    public static let maxRetryAfter: TimeInterval = 24 * 3600
    public static let maxEntries = 50
    public static let maxDelaySeconds = 7 * 24 * 3600

    public var maxAttempts: Int { scheduleSeconds.count + 1 }

    /// The wait before the next try once `attempts` tries have failed, or nil when none is left.
    /// `random` in 0..<1 places the jitter; `retryAfter` (the receiver's hint) can lengthen the wait.
    public func delay(afterAttempts attempts: Int, random: Double, retryAfter: TimeInterval? = nil) -> TimeInterval? {
        guard attempts >= 1, attempts <= scheduleSeconds.count else { return nil }
        let base = TimeInterval(scheduleSeconds[attempts - 1])
        let jittered = base * (1 + Self.jitter * (2 * random - 1))
        guard let retryAfter, retryAfter > jittered else { return jittered }
        return min(retryAfter, Self.maxRetryAfter)
    }
}

extension RetryPolicy {
    /// The JSON form: `{"schedule_seconds": [...]}`.
    public var json: JSONValue {
        ["schedule_seconds": .array(scheduleSeconds.map { .int(Int64($0)) })]
    }

    /// Reads `{"schedule_seconds": [...]}` or `"none"`; the description of the problem otherwise.
    public static func parse(_ value: JSONValue) -> Result<RetryPolicy, RetryPolicyError> {
        if value == "none" { return .success(.none) }
        guard case .object(let object) = value, let list = object["schedule_seconds"]?.arrayValue,
            object.keys.allSatisfy({ $0 == "schedule_seconds" })
        else {
            return .failure(RetryPolicyError(message: "must be {\"schedule_seconds\": [seconds, ...]} or \"none\""))
        }
        guard list.count <= maxEntries else {
            return .failure(RetryPolicyError(message: "has more than \(maxEntries) retries"))
        }
        var seconds: [Int] = []
        for item in list {
            guard case .int(let value) = item, value >= 1, value <= maxDelaySeconds else {
                return .failure(RetryPolicyError(message: "delays must be whole seconds from 1 to \(maxDelaySeconds)"))
            }
            seconds.append(Int(value))
        }
        return .success(RetryPolicy(scheduleSeconds: seconds))
    }
}

public struct RetryPolicyError: Error, Sendable {
    public var message: String
}

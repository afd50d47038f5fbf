import Foundation
import HeraldCore

/// What `GET /ready` checks, each by name: the database answers, and the dispatcher both goes
/// round and makes progress while deliveries are due.
struct Readiness {
    /// Each check's verdict: `ok`, or what is wrong.
    var checks: [String: String] = [:]

    var isReady: Bool { checks.values.allSatisfy { $0 == "ok" } }

    var body: JSONValue {
        [
            "status": .string(isReady ? "ready" : "not ready"),
            "checks": .object(checks.mapValues(JSONValue.string)),
        ]
    }

    /// `stallAfter`: how long deliveries may be due with no claim and no settle before the
    /// dispatcher counts as stalled (longer than a send may take, so slow receivers do not count).
    static func check(store: some HeraldStore, runtime: DeliveryRuntime, stallAfter: TimeInterval) async -> Readiness {
        var readiness = Readiness()
        var due: Date?
        do {
            try await store.ping()
            due = try await store.nextDueDate()
            readiness.checks["database"] = "ok"
        } catch {
            readiness.checks["database"] = "unreachable"
            return readiness
        }
        guard let heartbeat = runtime.dispatcherHeartbeat?(), let progress = runtime.dispatcherProgress?() else {
            return readiness
        }
        let now = runtime.clock.now()
        if let due, now.timeIntervalSince(due) > stallAfter, now.timeIntervalSince(progress) > stallAfter {
            readiness.checks["dispatcher"] =
                "stalled: deliveries due for \(Int(now.timeIntervalSince(due))) s and no claim or settle for "
                + "\(Int(now.timeIntervalSince(progress))) s"
        } else if now.timeIntervalSince(heartbeat) > 30 {
            readiness.checks["dispatcher"] =
                "stalled: its loop has not gone round for \(Int(now.timeIntervalSince(heartbeat))) s"
        } else {
            readiness.checks["dispatcher"] = "ok"
        }
        return readiness
    }
}

import Foundation
import GRDB
import HeraldCore
import Testing

/// `GET /ready` names the failing check: a database that does not answer, or a dispatcher that
/// makes no progress while deliveries are due.
@Suite struct ReadinessTests {
    @Test func readinessSeesADispatcherThatMakesNoProgressWhileDeliveriesAreDue() async throws {
        let receiver = try await TestReceiver.start { _, _ in .init(status: .serviceUnavailable) }
        var herald = try await TestHerald()
        let clock = herald.withTestClock()
        let path = herald.location + "/herald.sqlite"
        try await herald.run { api in
            let world = try await api.world()
            let hook = try await api.activeWebhook(in: world, url: receiver.url)
            _ = try await api.publish(world, "booking_new")
            let id = try #require(try await api.deliveries(of: hook.id).first?["id"]?.stringValue)
            _ = try await api.waitForDelivery(id) { $0["attempts"] == 1 && $0["status"] == "pending" }
            let ready = try await api.call(.get, "/ready", key: nil)
            #expect(ready.status == .ok)
            #expect(ready.json == ["status": "ready", "checks": ["database": "ok", "dispatcher": "ok"]])

            // Stall it on purpose: another connection holds the write lock, so claims cannot run,
            // while the retry comes due and time passes.
            var configuration = Configuration()
            configuration.allowsUnsafeTransactions = true
            let blocker = try DatabaseQueue(path: path, configuration: configuration)
            try await blocker.writeWithoutTransaction { db in try db.execute(sql: "BEGIN IMMEDIATE") }
            await clock.advance(by: .seconds(300))
            let stalled = try await api.call(.get, "/ready", key: nil)
            #expect(stalled.status == .serviceUnavailable)
            #expect(stalled.json["status"] == "not ready")
            #expect(stalled.json["checks"]?["database"] == "ok")
            let verdict = stalled.json["checks"]?["dispatcher"]?.stringValue ?? ""
            #expect(verdict.hasPrefix("stalled: deliveries due for"), "\(verdict)")

            // Released, the dispatcher claims again and readiness comes back.
            try await blocker.writeWithoutTransaction { db in try db.execute(sql: "COMMIT") }
            var again = stalled
            for _ in 0..<300 where again.status != .ok {
                try await Task.sleep(for: .milliseconds(50))
                again = try await api.call(.get, "/ready", key: nil)
            }
            #expect(again.status == .ok)
        }
        await receiver.stop()
    }
}

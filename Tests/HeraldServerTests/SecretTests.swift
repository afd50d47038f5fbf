import Foundation
import HTTPTypes
import HeraldCore
import HeraldServer
import Testing

@Suite struct SecretTests {
    @Test func secretsNeverReachTheLogs() async throws {
        let logs = CapturedLogs()
        let receiver = try await TestReceiver.start { number, _ in
            number == 1 ? .init(status: .internalServerError) : .init()
        }
        var herald = try await TestHerald()
        herald.logger = logs.logger()
        let secrets = try await herald.run { api in
            let world = try await api.world()
            let url = receiver.url.replacingOccurrences(of: "http://", with: "http://partner:hunter2-password@")
            let hook = try await api.activeWebhook(
                in: world, url: url,
                ["headers": ["X-Api-Token": "header-secret-value"], "retry_policy": ["schedule_seconds": [1]]])
            _ = try await api.publish(world, "booking_new")
            try await receiver.waitFor(2)
            _ = try await api.call(.get, "/api/v1/webhooks/\(hook.id.text)/secret", key: world.admin)
            return [
                hook.secret, "hunter2-password", "header-secret-value", world.admin, world.publisher,
                TestHerald.adminKey,
            ]
        }
        await receiver.stop()
        #expect(!logs.text.isEmpty)
        for secret in secrets {
            #expect(!logs.text.contains(secret), "a secret reached the logs")
        }
    }

    @Test func apiKeysAreStoredOnlyAsHashes() async throws {
        let herald = try await TestHerald()
        let key = try await herald.run(keepDatabase: true) { api in
            try await api.key(.admin, in: try await api.tenant())
        }
        let bytes = try Data(contentsOf: URL(fileURLWithPath: herald.location).appendingPathComponent("herald.sqlite"))
        let wal =
            (try? Data(contentsOf: URL(fileURLWithPath: herald.location).appendingPathComponent("herald.sqlite-wal")))
            ?? Data()
        #expect(bytes.range(of: Data(key.utf8)) == nil)
        #expect(wal.range(of: Data(key.utf8)) == nil)
        #expect((bytes + wal).range(of: Data(KeyMaterial.hash(apiKey: key).utf8)) != nil)
        herald.removeDatabase()
    }
}

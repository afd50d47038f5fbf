import Foundation
import HeraldCore
import Testing

/// Secrets at rest, on every store: what a reader of the database sees, key rotation, and a row
/// that does not open.
extension StoreContractTests {
    static let firstKey = try! SecretBox.Key(base64: SecretBox.Key.generate())
    static let secondKey = try! SecretBox.Key(base64: SecretBox.Key.generate())

    func credentialedWebhook(_ tenant: Tenant, _ property: Property?, url: String = "https://8.8.8.8/h") throws
        -> Webhook
    {
        var hook = try webhook(
            tenant, property,
            url: url.replacingOccurrences(of: "https://", with: "https://partner:hunter2-password@")
                + "/path-token?token=query-token")
        hook.headers = ["Authorization": "Bearer header-token"]
        hook.requestParams = ["api_key": "param-token"]
        return hook
    }

    @Test(arguments: Backend.allCases)
    func withAKeySecretsHeadersParamsAndURLsAreSealedAndReadBackWhole(backend: Backend) async throws {
        try await backend.withSealingDatabase { database in
            let store = try database.open(SecretBox(current: Self.firstKey))
            let (tenant, property) = try await world(store)
            var hook = try credentialedWebhook(tenant, property)
            try await store.insertWebhook(hook)
            let plain = try webhook(tenant, nil, url: "https://8.8.4.4/plain")
            try await store.insertWebhook(plain)
            #expect(try await store.webhook(id: hook.id) == hook)
            let stored = try await database.stored()
            #expect(stored.count == 8)
            let secrets = [
                "hunter2-password", "path-token", "query-token", "header-token", "param-token", "8.8.4.4",
                hook.secrets[0].value, plain.secrets[0].value,
            ]
            for secret in secrets {
                #expect(!stored.contains { $0.contains(secret) }, "\(secret) is stored in clear")
            }
            #expect(try await store.sealingCensus() == SealingCensus(sealed: [Self.firstKey.id: 2]))

            // Matching and delivery open them: the event reaches the webhook signed with its secret.
            let results = try await store.ingest([event(tenant, property)], tenantId: tenant.id, now: now)
            #expect(results.map(\.deliveries) == [2])
            let jobs = try await store.claimDue(owner: "w", now: Date(), lease: 60, limit: 10)
            let job = try #require(jobs.first { $0.webhook.id == hook.id })
            #expect(job.webhook == hook)

            // An update seals what it writes; listing opens every row.
            hook.headers = ["Authorization": "Bearer another-token"]
            try await store.updateWebhook(hook)
            #expect(!(try await database.stored()).contains { $0.contains("another-token") })
            let listed = try await store.listWebhooks(WebhookQuery(tenantId: tenant.id)).items
            #expect(Set(listed.map(\.id)) == [hook.id, plain.id])
            #expect(listed.first { $0.id == hook.id }?.headers == hook.headers)

            // A store without the key cannot open them, and says which webhook and which key.
            let keyless = try database.open(.clear)
            #expect(try await keyless.sealingCensus().unopenable(by: keyless.secretBox) == [Self.firstKey.id: 2])
            await #expect(throws: UnreadableWebhook(id: hook.id, reason: .unknownKey(Self.firstKey.id))) {
                _ = try await keyless.webhook(id: hook.id)
            }
        }
    }

    /// One webhook this process cannot open holds up its own deliveries and no one else's.
    @Test(arguments: Backend.allCases)
    func aWebhookThatDoesNotOpenHoldsUpOnlyItsOwnDeliveries(backend: Backend) async throws {
        try await backend.withSealingDatabase { database in
            let old = try database.open(SecretBox(current: Self.firstKey))
            let (tenant, property) = try await world(old)
            let (other, otherProperty) = try await world(old)
            let stranded = try credentialedWebhook(tenant, property)
            try await old.insertWebhook(stranded)
            let store = try database.open(SecretBox(current: Self.secondKey))
            let healthy = try webhook(other, otherProperty, url: "https://8.8.4.4/h")
            try await store.insertWebhook(healthy)
            // The healthy webhook's headers, sealed with a key this store lacks, are an error too,
            // not an absence; and the census counts each column.
            _ = try await old.resealWebhooks(after: nil, limit: 10) { id, columns in
                guard id == healthy.id else { return nil }
                var changed = columns
                changed.headers = SecretColumns(healthy, box: SecretBox(current: Self.firstKey)).headers
                return changed
            }
            #expect(
                try await store.sealingCensus()
                    == SealingCensus(sealed: [Self.firstKey.id: 2, Self.secondKey.id: 1]))
            await #expect(throws: UnreadableWebhook(id: healthy.id, reason: .unknownKey(Self.firstKey.id))) {
                _ = try await store.webhook(id: healthy.id)
            }
            try await store.updateWebhook(healthy)

            // Events are still matched for the tenant of the webhook this process cannot read: its
            // deliveries are made, and wait for a process with the key. A claim names the webhook
            // once, however many of its deliveries it found.
            #expect(
                try await store.ingest(
                    [event(tenant, property), event(tenant, property)], tenantId: tenant.id, now: now
                )
                .map(\.deliveries) == [1, 1])
            #expect(
                try await store.ingest([event(other, otherProperty)], tenantId: other.id, now: now).map(\.deliveries)
                    == [1])
            let claim = try await store.claim(
                ClaimRequest(
                    owner: "w", now: Date(), lease: 60, limit: 10, load: WorkerLoad(concurrency: 10)))
            #expect(claim.jobs.map(\.webhook.id) == [healthy.id])
            #expect(claim.unreadable == [UnreadableWebhook(id: stranded.id, reason: .unknownKey(Self.firstKey.id))])
        }
    }

    @Test(arguments: Backend.allCases)
    func rotatingTheKeyResealsEveryWebhookOnceAndLosesNothing(backend: Backend) async throws {
        try await backend.withSealingDatabase { database in
            let clear = try database.open(.clear)
            let (tenant, property) = try await world(clear)
            var hooks: [Webhook] = []
            for index in 0..<7 {
                let hook =
                    index.isMultiple(of: 2)
                    ? try credentialedWebhook(tenant, property, url: "https://8.8.8.\(index)")
                    : try webhook(tenant, property, url: "https://8.8.8.8/\(index)")
                try await clear.insertWebhook(hook)
                hooks.append(hook)
            }
            #expect(try await clear.sealingCensus() == SealingCensus(clear: 7))
            #expect(try await database.stored().contains { $0.contains("header-token") })

            // From clear to the first key, a few rows a batch.
            let first = try database.open(SecretBox(current: Self.firstKey))
            let sealing = try await first.resealAllWebhooks(batch: 3)
            #expect(sealing.written == 7)
            #expect(sealing.census == SealingCensus(sealed: [Self.firstKey.id: 7]))
            #expect(try await first.resealAllWebhooks(batch: 3).written == 0)
            #expect(!(try await database.stored()).contains { $0.contains("header-token") })

            // To the second key, the first one opening what it sealed, while the API changes
            // webhooks: every change lands, and every row ends sealed with the second key.
            let rotating = try database.open(SecretBox(current: Self.secondKey, previous: [Self.firstKey]))
            async let rotation = rotating.resealAllWebhooks(batch: 1)
            for index in hooks.indices {
                hooks[index].headers = ["X-Changed": "\(index)"]
                try await rotating.updateWebhook(hooks[index])
            }
            #expect(try await rotation.census.stale(for: rotating.secretBox) == 0)
            let second = try database.open(SecretBox(current: Self.secondKey))
            #expect(try await second.sealingCensus() == SealingCensus(sealed: [Self.secondKey.id: 7]))
            for hook in hooks { #expect(try await second.webhook(id: hook.id) == hook) }

            // And back to clear.
            let clearing = try database.open(SecretBox(current: nil, previous: [Self.secondKey]))
            #expect(try await clearing.resealAllWebhooks().written == 7)
            #expect(try await clear.sealingCensus() == SealingCensus(clear: 7))
            for hook in hooks { #expect(try await clear.webhook(id: hook.id) == hook) }
        }
    }
}

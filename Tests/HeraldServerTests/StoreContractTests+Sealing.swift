import Foundation
import HeraldCore
import Synchronization
import Testing

/// Secrets at rest, on every store: what a reader of the database sees, and key rotation.
extension StoreContractTests {
    static let firstKey = try! SecretBox.Key(base64: SecretBox.Key.generate())
    static let secondKey = try! SecretBox.Key(base64: SecretBox.Key.generate())

    /// The secret columns of every webhook as the database holds them.
    func storedColumns(_ store: any HeraldStore) async throws -> [SecretColumns] {
        let seen = Mutex<[SecretColumns]>([])
        _ = try await store.resealWebhooks(after: nil, limit: 1_000) { _, columns in
            seen.withLock { $0.append(columns) }
            return nil
        }
        return seen.withLock { $0 }
    }

    func credentialedWebhook(_ tenant: Tenant, _ property: Property?) throws -> Webhook {
        var hook = try webhook(tenant, property, url: "https://partner:hunter2-password@8.8.8.8/h?token=query-token")
        hook.headers = ["Authorization": "Bearer header-token"]
        return hook
    }

    @Test(arguments: Backend.allCases)
    func withAKeySecretsHeadersAndCredentialsAreSealedAndReadBackWhole(backend: Backend) async throws {
        try await backend.withSealingStores { open in
            let store = try open(SecretBox(current: Self.firstKey))
            let (tenant, property) = try await world(store)
            var hook = try credentialedWebhook(tenant, property)
            try await store.insertWebhook(hook)
            let plain = try webhook(tenant, nil, url: "https://8.8.4.4/plain")
            try await store.insertWebhook(plain)
            #expect(try await store.webhook(id: hook.id) == hook)
            let stored = try await storedColumns(store)
            let everything = stored.map { "\($0.callbackURL) \($0.headers ?? "") \($0.secrets)" }.joined()
            for secret in [
                "hunter2-password", "query-token", "header-token", hook.secrets[0].value, plain.secrets[0].value,
            ] {
                #expect(!everything.contains(secret), "\(secret) is stored in clear")
            }
            // A URL that names only an endpoint stays readable.
            #expect(stored.contains { $0.callbackURL == "https://8.8.4.4/plain" })
            #expect(try await store.sealingCensus() == SealingCensus(sealed: [Self.firstKey.id: 2]))

            // Matching and delivery open them: the event reaches the webhook signed with its secret.
            let results = try await store.ingest([event(tenant, property)], tenantId: tenant.id, now: now)
            #expect(results.map(\.deliveries) == [2])
            let jobs = try await store.claimDue(owner: "w", now: Date(), lease: 60, limit: 10)
            let job = try #require(jobs.first { $0.webhook.id == hook.id })
            #expect(job.webhook.callbackURL == hook.callbackURL)
            #expect(job.webhook.headers == hook.headers)
            #expect(job.webhook.secrets == hook.secrets)

            // An update seals what it writes; listing opens every row.
            hook.headers = ["Authorization": "Bearer another-token"]
            try await store.updateWebhook(hook)
            #expect(!(try await storedColumns(store)).contains { ($0.headers ?? "").contains("another-token") })
            let listed = try await store.listWebhooks(WebhookQuery(tenantId: tenant.id)).items
            #expect(Set(listed.map(\.id)) == [hook.id, plain.id])
            #expect(listed.first { $0.id == hook.id }?.headers == hook.headers)

            // A store without the key cannot open them, and says which key it would need.
            let keyless = try open(.clear)
            #expect(try await keyless.sealingCensus().unopenable(by: keyless.secretBox) == [Self.firstKey.id: 2])
            await #expect(throws: SecretBox.OpenError.unknownKey(Self.firstKey.id)) {
                _ = try await keyless.webhook(id: hook.id)
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func rotatingTheKeyResealsEveryWebhookOnceAndLosesNothing(backend: Backend) async throws {
        try await backend.withSealingStores { open in
            let clear = try open(.clear)
            let (tenant, property) = try await world(clear)
            var hooks: [Webhook] = []
            for index in 0..<7 {
                let hook =
                    index.isMultiple(of: 2)
                    ? try credentialedWebhook(tenant, property)
                    : try webhook(tenant, property, url: "https://8.8.8.8/\(index)")
                try await clear.insertWebhook(hook)
                hooks.append(hook)
            }
            #expect(try await clear.sealingCensus() == SealingCensus(clear: 7))

            // From clear to the first key, a few rows a batch.
            let first = try open(SecretBox(current: Self.firstKey))
            #expect(try await first.resealAllWebhooks(batch: 3) == 7)
            #expect(try await first.sealingCensus() == SealingCensus(sealed: [Self.firstKey.id: 7]))
            #expect(try await first.resealAllWebhooks(batch: 3) == 0)

            // To the second key, the first one opening what it sealed.
            let rotating = try open(SecretBox(current: Self.secondKey, previous: [Self.firstKey]))
            #expect(try await rotating.resealAllWebhooks(batch: 2) == 7)
            let second = try open(SecretBox(current: Self.secondKey))
            #expect(try await second.sealingCensus() == SealingCensus(sealed: [Self.secondKey.id: 7]))
            for hook in hooks { #expect(try await second.webhook(id: hook.id) == hook) }

            // And back to clear.
            let clearing = try open(SecretBox(current: nil, previous: [Self.secondKey]))
            #expect(try await clearing.resealAllWebhooks() == 7)
            #expect(try await clear.sealingCensus() == SealingCensus(clear: 7))
            for hook in hooks { #expect(try await clear.webhook(id: hook.id) == hook) }
        }
    }
}

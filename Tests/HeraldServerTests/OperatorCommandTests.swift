import Foundation
import HeraldCore
import HeraldDelivery
import Testing

/// `herald tenants|keys|webhooks|deliveries`, run as the built binary on a real database of each
/// store: tables for people, the API's own JSON with `--json`, refusals in one line that change
/// nothing.
@Suite struct OperatorCommandTests {
    static func herald(_ arguments: [String], on database: String) async throws -> CommandLineTests.Run {
        try await CommandLineTests.herald(arguments + ["--database", database])
    }

    /// The `data` of a `--json` answer.
    static func data(_ run: CommandLineTests.Run) throws -> JSONValue {
        #expect(run.status == 0, "\(run.errors)")
        return try #require(try JSONValue.decode(run.output)["data"])
    }

    /// Tenants and keys are plain rows: SQLite alone (the store protocol is the same); the queue
    /// and the event stream, where the stores differ, run on both below.
    @Test(arguments: [Backend.sqlite])
    func tenantsAndKeysAreMadeListedAndRevoked(backend: Backend) async throws {
        try await backend.withDatabase { database, store, _ in
            let made = try Self.data(
                try await Self.herald(["tenants", "create", "--name", "Acme", "--json"], on: database))
            let tenantId = try #require(made["id"]?.stringValue.flatMap { UUID(text: $0) })
            #expect(try await store.tenant(id: tenantId)?.name == "Acme")

            let table = try await Self.herald(["tenants", "list"], on: database)
            #expect(table.status == 0)
            let lines = table.output.split(separator: "\n")
            #expect(lines.first?.hasPrefix("ID") == true && lines.first?.contains("NAME") == true)
            #expect(lines.contains { $0.hasPrefix(tenantId.text) && $0.contains("Acme") })

            let property = Property(tenantId: tenantId, title: "Hotel", createdAt: Timestamp.now())
            try await store.insertProperty(property)
            let key = try Self.data(
                try await Self.herald(
                    [
                        "keys", "create", "--role", "publisher", "--tenant", tenantId.text, "--property",
                        property.id.text, "--title", "channel manager", "--json",
                    ], on: database))
            let secret = try #require(key["attributes"]?["key"]?.stringValue)
            let stored = try #require(try await store.apiKey(hash: KeyMaterial.hash(apiKey: secret)))
            #expect(stored.tenantId == tenantId && stored.role == .publisher && stored.propertyIds == [property.id])
            #expect(stored.title == "channel manager")

            let listed = try await Self.herald(["keys", "list", "--tenant", tenantId.text], on: database)
            #expect(listed.output.contains(stored.prefix))
            #expect(!listed.output.contains(secret))

            let revoked = try await Self.herald(["keys", "revoke", stored.id.text], on: database)
            #expect(revoked.status == 0, "\(revoked.errors)")
            #expect(try await store.apiKey(id: stored.id)?.revokedAt != nil)
        }
    }

    @Test(arguments: [Backend.sqlite])
    func portalLinksAreMadeListedAndRevoked(backend: Backend) async throws {
        try await backend.withDatabase { database, store, _ in
            let tenant = try await store.seedTenant(at: Timestamp.now())
            // A link needs the address partners reach Herald at.
            let bare = try await Self.herald(["portal-links", "create", "--tenant", tenant.id.text], on: database)
            #expect(bare.status == 1)
            #expect(bare.errors.contains("--public-url"))
            #expect(try await store.listPortalLinks(tenantId: tenant.id, page: PageRequest()).total == 0)

            let made = try Self.data(
                try await Self.herald(
                    [
                        "portal-links", "create", "--tenant", tenant.id.text, "--public-url",
                        "https://hooks.example.com/", "--expires-in", "600", "--json",
                    ], on: database))
            let url = try #require(made["attributes"]?["url"]?.stringValue)
            #expect(url.hasPrefix("https://hooks.example.com/portal/enter?token=hpl_"))
            let id = try #require(made["id"]?.stringValue.flatMap { UUID(text: $0) })
            let stored = try #require(try await store.portalLink(id: id))
            #expect(stored.role == .admin && stored.expiresAt.timeIntervalSince(stored.createdAt) == 600)
            let token = String(url[url.range(of: "token=")!.upperBound...])
            #expect(stored.tokenHash == KeyMaterial.hash(apiKey: token))

            let listed = try await Self.herald(["portal-links", "list", "--tenant", tenant.id.text], on: database)
            #expect(listed.output.contains(id.text))
            #expect(!listed.output.contains(token))
            let revoked = try await Self.herald(["portal-links", "revoke", id.text], on: database)
            #expect(revoked.status == 0, "\(revoked.errors)")
            #expect(try await store.portalLink(id: id)?.revokedAt != nil)
        }
    }

    /// The API's rules hold on the command line, and a refusal stores nothing.
    @Test(arguments: [Backend.sqlite])
    func refusalsNameTheProblemAndChangeNothing(backend: Backend) async throws {
        try await backend.withDatabase { database, store, _ in
            let tenant = Tenant(name: "Acme", createdAt: Timestamp.now())
            try await store.insertTenant(tenant)
            let other = Tenant(name: "Other", createdAt: Timestamp.now())
            try await store.insertTenant(other)
            let foreign = Property(tenantId: other.id, title: "Not Acme's", createdAt: Timestamp.now())
            try await store.insertProperty(foreign)

            let platformUser = try await Self.herald(["keys", "create", "--role", "user"], on: database)
            #expect(platformUser.status == 1)
            #expect(platformUser.errors == "herald: role: platform keys must be admin keys\n")

            let scoped = try await Self.herald(
                ["keys", "create", "--role", "user", "--tenant", tenant.id.text, "--property", foreign.id.text],
                on: database)
            #expect(scoped.status == 1)
            #expect(scoped.errors == "herald: property_ids: \(foreign.id.text) not found\n")

            let badRole = try await Self.herald(["keys", "create", "--role", "owner"], on: database)
            #expect(badRole.status != 0)
            #expect(badRole.errors.contains("--role must be one of admin, user, publisher"))

            let blank = try await Self.herald(["tenants", "create", "--name", "  "], on: database)
            #expect(blank.status != 0)
            #expect(blank.errors.contains("--name can't be blank"))

            // A mistyped path is refused, not made into an empty database.
            let elsewhere = database + "-typo"
            let typo = try await Self.herald(["tenants", "list"], on: elsewhere)
            #expect(typo.status == 1)
            #expect(typo.errors.hasPrefix("herald: no database at \(elsewhere)"))
            #expect(!FileManager.default.fileExists(atPath: elsewhere))
            let bigPage = try await Self.herald(["tenants", "list", "--page", "9999999999"], on: database)
            #expect(bigPage.status != 0 && bigPage.errors.contains("--page must be a whole number from 1"))

            let missing = try await Self.herald(["keys", "revoke", UUID().text], on: database)
            #expect(missing.status == 1)
            #expect(missing.errors.hasPrefix("herald: no API key "))

            #expect(try await store.listAPIKeys(tenantId: nil, page: PageRequest()).total == 0)
            #expect(try await store.listTenants(only: nil, page: PageRequest()).total == 2)
        }
    }

    /// An operator turns a webhook off: the tenant reads why and gets a `webhook_disabled` event.
    @Test(arguments: Backend.allCases)
    func aDisabledWebhookTellsItsTenantWhy(backend: Backend) async throws {
        try await backend.withDatabase { database, store, _ in
            let now = Timestamp.now()
            let tenant = try await store.seedTenant(at: now)
            let webhook = try Webhook.active(tenant, url: "https://ops:hunter2@8.8.8.8/h", at: now)
            let watcher = try Webhook.active(tenant, url: "https://8.8.4.4/ops", mask: "webhook_disabled", at: now)
            try await store.insertWebhooks([webhook, watcher])

            let listed = try await Self.herald(["webhooks", "list", "--tenant", tenant.id.text], on: database)
            #expect(listed.status == 0, "\(listed.errors)")
            #expect(listed.output.contains("https://ops:****@8.8.8.8/h"))
            #expect(!listed.output.contains("hunter2"))

            let disabled = try Self.data(
                try await Self.herald(
                    ["webhooks", "disable", webhook.id.text, "--reason", "floods the channel manager", "--json"],
                    on: database))
            #expect(disabled["attributes"]?["is_active"] == false)
            let stored = try #require(try await store.webhook(id: webhook.id))
            #expect(!stored.isActive && stored.disabledReason == "floods the channel manager")

            let events = try await store.listEvents(EventQuery(tenantId: tenant.id, name: "webhook_disabled"))
            #expect(events.total == 1)
            #expect(events.items.first?.event.payload["reason"] == "floods the channel manager")
            #expect(events.items.first?.total == 1)

            // Off already: nothing changes and nothing more is published.
            let again = try await Self.herald(
                ["webhooks", "disable", webhook.id.text, "--reason", "twice"], on: database)
            #expect(again.status == 0)
            #expect(try await store.webhook(id: webhook.id)?.disabledReason == "floods the channel manager")
            #expect(try await store.listEvents(EventQuery(tenantId: tenant.id, name: "webhook_disabled")).total == 1)
            #expect(try await store.webhook(id: webhook.id)?.secrets == webhook.secrets)

            let inactive = try await Self.herald(
                ["webhooks", "list", "--active", "false", "--json"], on: database)
            #expect(try Self.data(inactive).arrayValue?.count == 1)
        }
    }

    /// `deliveries list --status --webhook` finds the failed ones; `retry` makes them due again.
    @Test(arguments: Backend.allCases)
    func failedDeliveriesAreFoundAndRetried(backend: Backend) async throws {
        try await backend.withDatabase { database, store, _ in
            let now = Timestamp.now()
            let tenant = try await store.seedTenant(at: now)
            let hooks = try ["https://8.8.8.8/a", "https://8.8.4.4/b"].map {
                try Webhook.active(tenant, url: $0, at: now)
            }
            try await store.insertWebhooks(hooks)
            try await store.publishARI(tenant, at: now)
            let jobs = try await store.claimDue(owner: "w", now: now, lease: 60, limit: 10)
            #expect(jobs.count == 2)
            _ = try await store.settle(
                jobs.map { job in
                    Settlement(
                        deliveryId: job.delivery.id, webhookId: job.webhook.id, leaseOwner: "w",
                        attempt: DeliveryAttempt(
                            deliveryId: job.delivery.id, number: 1, startedAt: now, durationMs: 3, statusCode: 500,
                            responseBody: nil, error: nil),
                        next: job.webhook.id == hooks[0].id ? .failed : .succeeded, effect: .recovered)
                })
            let failed = try #require(jobs.first { $0.webhook.id == hooks[0].id }?.delivery.id)

            let listed = try Self.data(
                try await Self.herald(
                    ["deliveries", "list", "--status", "failed", "--webhook", hooks[0].id.text, "--json"],
                    on: database))
            #expect(listed.arrayValue?.map { $0["id"]?.stringValue } == [failed])
            let table = try await Self.herald(["deliveries", "list", "--status", "succeeded"], on: database)
            #expect(table.output.split(separator: "\n").count == 2)
            #expect(!table.output.contains(failed))

            // One unknown id among them: none is requeued.
            let mistyped = try await Self.herald(
                ["deliveries", "retry", failed, "msg_00000000000000000000000000000000"], on: database)
            #expect(mistyped.status == 1)
            #expect(mistyped.errors == "herald: no delivery msg_00000000000000000000000000000000\n")
            #expect(try await store.delivery(id: failed)?.status == .failed)

            let retried = try await Self.herald(["deliveries", "retry", failed], on: database)
            #expect(retried.status == 0, "\(retried.errors)")
            #expect(retried.output.contains("pending"))
            #expect(try await store.delivery(id: failed)?.status == .pending)
            let due = try await store.claimDue(owner: "w", now: Timestamp.now(), lease: 60, limit: 10)
            #expect(due.map(\.delivery.id) == [failed])
        }
    }
}

import ArgumentParser
import Foundation
import HeraldCore
import HeraldServer

/// What every operator command shares: the database settings and `--json`.
///
/// Operator commands act as a platform admin on the configured database, without a server or an
/// API key, under the same rules as the API (``APIKey/issue(tenantId:role:propertyIds:title:now:in:)``,
/// the store's own requeue). `--json` prints exactly what the API answers; the table shows the
/// same resources, a few columns of each.
struct OperatorOptions: ParsableArguments {
    @Flag(help: "Print the API's JSON (one object) instead of a table.") var json = false
    @Option(help: "Page to show, from 1.") var page = 1
    @Option(help: "Rows a page, 1 to \(PageRequest.maxLimit).") var limit = 50
    // The store's settings (``HeraldSettings/store``), as options so that positional arguments can
    // follow them; each is also read from its HERALD_* variable and the --config file.
    @Option(help: ArgumentHelp(HeraldSettings.database.help)) var database: String?
    @Option(help: ArgumentHelp(HeraldSettings.migrations.help)) var migrations: String?
    @Option(help: ArgumentHelp(HeraldSettings.sqliteSynchronous.help)) var sqliteSynchronous: String?
    @Option(help: ArgumentHelp(HeraldSettings.logLevel.help)) var logLevel: String?
    @Option(help: ArgumentHelp(HeraldSettings.logFormat.help)) var logFormat: String?
    @Option(help: ArgumentHelp(HeraldSettings.config.help)) var config: String?

    /// The settings given as options, as ``SettingsReader`` reads flags.
    var settings: [String] {
        let given: [(Setting, String?)] = [
            (HeraldSettings.database, database), (HeraldSettings.migrations, migrations),
            (HeraldSettings.sqliteSynchronous, sqliteSynchronous), (HeraldSettings.logLevel, logLevel),
            (HeraldSettings.logFormat, logFormat), (HeraldSettings.config, config),
        ]
        return given.flatMap { setting, value in value.map { [setting.flag, $0] } ?? [] }
    }

    static let discussion =
        "Works on the configured database (SQLite file or PostgreSQL URL) as a platform admin; a running "
        + "server sees each change at once. Each database option may also come from its HERALD_* variable "
        + "(HERALD_DATABASE_URL, HERALD_LOG_LEVEL, ...) or the --config file."

    var pageRequest: PageRequest { PageRequest(page: page, limit: limit) }

    mutating func validate() throws {
        guard (1...PageRequest.maxPage).contains(page) else {
            throw ValidationError("--page must be a whole number from 1 to \(PageRequest.maxPage)")
        }
        guard (1...PageRequest.maxLimit).contains(limit) else {
            throw ValidationError("--limit must be a whole number from 1 to \(PageRequest.maxLimit)")
        }
    }

    /// Opens the configured database (applying pending migrations) and runs `body` on it; a refusal
    /// (``ValidationErrors``, a missing resource) ends the command with one line.
    func withStore<T: Sendable>(_ body: (any HeraldStore) async throws -> T) async throws -> T {
        let options = try StoreOptions(
            try await SettingsReader.load(arguments: settings, declared: HeraldSettings.store))
        let logger = options.bootstrapLogging(defaultLevel: .warning)
        try options.requireExistingDatabase()
        do {
            return try await options.withStore(logger: logger, body)
        } catch let errors as ValidationErrors {
            throw StartUp.fail(
                errors.details.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value.joined(separator: "; "))" }
                    .joined(separator: ", "))
        } catch StoreError.notFound {
            throw StartUp.fail("not found")
        }
    }

    /// Prints `body` (an API answer: `data` a resource or a list) as JSON or as a table of `columns`.
    func show(_ body: JSONValue, _ columns: [OperatorTable.Column]) {
        if json {
            print(body.encodedString())
            return
        }
        let items: [JSONValue] =
            switch body["data"] {
            case .array(let items)?: items
            case let item?: [item]
            case nil: []
            }
        print(OperatorTable(columns: columns).render(items), terminator: "")
        if case .object(let meta)? = body["meta"], let total = meta["total"]?.intValue,
            let page = meta["page"]?.intValue, let limit = meta["limit"]?.intValue, total > items.count
        {
            print("page \(page) of \(max(1, (total + limit - 1) / limit)), \(total) in all (--page, --limit)")
        }
    }
}

/// A plain text table: a header row, then one row a resource, columns padded to their widest cell.
struct OperatorTable {
    struct Column {
        var header: String
        /// A path into the resource's attributes (`circuit.state`), or `id` for the resource's own.
        var path: String
        init(_ header: String, _ path: String? = nil) {
            self.header = header
            self.path = path ?? header
        }
    }

    var columns: [Column]

    func render(_ items: [JSONValue]) -> String {
        let rows = [columns.map { $0.header.uppercased() }] + items.map { item in columns.map { cell(item, $0.path) } }
        let widths = columns.indices.map { column in rows.map { $0[column].count }.max() ?? 0 }
        return rows.map { row in
            row.indices.map { index in
                index == row.count - 1
                    ? row[index] : row[index].padding(toLength: widths[index], withPad: " ", startingAt: 0)
            }.joined(separator: "  ") + "\n"
        }.joined()
    }

    func cell(_ item: JSONValue, _ path: String) -> String {
        var value: JSONValue? = item["attributes"] ?? item
        for key in path.split(separator: ".") { value = value?[String(key)] }
        if path == "id", value == nil { value = item["id"] }
        switch value {
        case .string(let text)?: return text
        case .int(let number)?: return String(number)
        case .bool(let flag)?: return flag ? "yes" : "no"
        case .array(let values)?: return values.map { cell($0, "") }.joined(separator: ",")
        case nil, .null?: return "-"
        case let other?: return other.encodedString()
        }
    }
}

/// Reads a UUID option, naming the option when it is not one.
func uuidOption(_ text: String?, _ option: String) throws -> UUID? {
    guard let text else { return nil }
    guard let id = UUID(text: text) else { throw ValidationError("\(option): '\(text)' is not a UUID") }
    return id
}

// MARK: - herald tenants

struct Tenants: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create and list tenants.", subcommands: [Create.self, List.self])

    static let columns: [OperatorTable.Column] = [
        .init("id"), .init("name"), .init("demo_mode"), .init("created", "created_at"),
    ]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a tenant.", discussion: OperatorOptions.discussion)
        @Option(help: "The tenant's name.") var name: String
        @Flag(help: "Store the tenant's events but deliver nothing.") var demoMode = false
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            if let problem = Tenant.nameProblem(name) { throw ValidationError("--name \(problem)") }
            let tenant = Tenant(name: name, demoMode: demoMode, createdAt: Timestamp.now())
            try await common.withStore { try await $0.insertTenant(tenant) }
            common.show(ChannexEnvelope.single(ChannexEnvelope.tenant(tenant)), Tenants.columns)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List every tenant.", discussion: OperatorOptions.discussion)
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            let page = try await common.withStore { try await $0.listTenants(only: nil, page: common.pageRequest) }
            common.show(ChannexEnvelope.list(page, render: ChannexEnvelope.tenant), Tenants.columns)
        }
    }
}

// MARK: - herald keys

struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create, list and revoke API keys.",
        subcommands: [Create.self, List.self, Revoke.self])

    static let columns: [OperatorTable.Column] = [
        .init("id"), .init("tenant", "tenant_id"), .init("role"), .init("prefix"), .init("properties", "property_ids"),
        .init("title"), .init("last_used", "last_used_at"), .init("revoked", "revoked_at"),
    ]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create an API key; the key is printed once.", discussion: OperatorOptions.discussion)
        @Option(help: "admin, user or publisher.") var role: String
        @Option(help: "The tenant the key belongs to; without it, a platform admin key.") var tenant: String?
        @Option(name: .customLong("property"), help: "Limit a user or publisher key to this property (repeatable).")
        var properties: [String] = []
        @Option(help: "A note to tell keys apart.") var title: String?
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            guard let role = Role(rawValue: role) else {
                throw ValidationError("--role must be one of admin, user, publisher")
            }
            let tenantId = try uuidOption(tenant, "--tenant")
            let scope = try properties.isEmpty ? nil : properties.map { try uuidOption($0, "--property")! }
            let (key, secret) = try await common.withStore { store in
                try await APIKey.issue(
                    tenantId: tenantId, role: role, propertyIds: scope, title: title, now: Timestamp.now(), in: store)
            }
            common.show(
                ChannexEnvelope.single(ChannexEnvelope.apiKey(key, secret: secret)),
                [.init("id"), .init("tenant", "tenant_id"), .init("role"), .init("key")])
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List API keys (never the keys themselves).", discussion: OperatorOptions.discussion)
        @Option(help: "Only this tenant's keys.") var tenant: String?
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            let tenantId = try uuidOption(tenant, "--tenant")
            let page = try await common.withStore {
                try await $0.listAPIKeys(tenantId: tenantId, page: common.pageRequest)
            }
            common.show(ChannexEnvelope.list(page) { ChannexEnvelope.apiKey($0) }, Keys.columns)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke an API key: it stops working at once.", discussion: OperatorOptions.discussion)
        @Argument(help: "The key's id (from `herald keys list`).") var id: String
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            let id = try uuidOption(id, "id")!
            let key = try await common.withStore { store -> APIKey in
                guard try await store.apiKey(id: id) != nil else { throw StartUp.fail("no API key \(id.text)") }
                try await store.revokeAPIKey(id: id, at: Timestamp.now())
                return try await store.apiKey(id: id)!
            }
            common.show(ChannexEnvelope.single(ChannexEnvelope.apiKey(key)), Keys.columns)
        }
    }
}

// MARK: - herald webhooks

struct Webhooks: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List webhooks and disable them.", subcommands: [List.self, Disable.self])

    static let columns: [OperatorTable.Column] = [
        .init("id"), .init("dialect"), .init("property", "property_id"), .init("url", "callback_url"),
        .init("mask", "event_mask"), .init("active", "is_active"), .init("circuit", "circuit.state"),
        .init("disabled_reason"),
    ]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List webhooks, URL credentials masked.", discussion: OperatorOptions.discussion)
        @Option(help: "Only this tenant's webhooks.") var tenant: String?
        @Option(help: "Only this property's webhooks.") var property: String?
        @Option(help: "true: only active webhooks; false: only inactive ones.") var active: Bool?
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            let query = WebhookQuery(
                tenantId: try uuidOption(tenant, "--tenant"), propertyId: try uuidOption(property, "--property"),
                isActive: active, page: common.pageRequest)
            let page = try await common.withStore { try await $0.listWebhooks(query) }
            common.show(ChannexEnvelope.list(page) { ChannexEnvelope.webhook($0) }, Webhooks.columns)
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Disable a webhook: nothing more is sent to it.",
            discussion: "Only is_active, disabled_reason and updated_at change. Deliveries that come due "
                + "while it is off fail as inactive (recover sends them again once it is back on). The tenant's "
                + "stream gets a webhook_disabled event with the reason, as when Herald disables a webhook "
                + "itself. The tenant turns it back on with is_active: true.\n\n"
                + OperatorOptions.discussion)
        @Argument(help: "The webhook's id.") var id: String
        @Option(help: "Why, as the tenant will read it in disabled_reason.") var reason = "disabled by the operator"
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            let id = try uuidOption(id, "id")!
            let webhook = try await common.withStore { store -> Webhook in
                let now = Timestamp.now()
                guard let (webhook, disabled) = try await store.disableWebhook(id: id, reason: reason, at: now) else {
                    throw StartUp.fail("no webhook \(id.text)")
                }
                // Only the call that turned it off tells the tenant (it was off already otherwise).
                if disabled {
                    let event = OperationalEvents.event("webhook_disabled", webhook: webhook, reason: reason, at: now)
                    _ = try await store.ingest([event], tenantId: webhook.tenantId, now: now)
                }
                return webhook
            }
            common.show(ChannexEnvelope.single(ChannexEnvelope.webhook(webhook)), Webhooks.columns)
        }
    }
}

// MARK: - herald deliveries

struct Deliveries: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List deliveries and send them again.", subcommands: [List.self, Retry.self])

    static let columns: [OperatorTable.Column] = [
        .init("id"), .init("webhook", "webhook_id"), .init("event"), .init("status"), .init("attempts"),
        .init("last_status", "last_status_code"), .init("created", "created_at"), .init("last_error"),
    ]

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List deliveries, newest first.", discussion: OperatorOptions.discussion)
        @Option(help: "pending, in_flight, succeeded or failed.") var status: String?
        @Option(help: "Only this webhook's deliveries.") var webhook: String?
        @Option(help: "Only this tenant's deliveries.") var tenant: String?
        @Option(help: "Only this event's deliveries.") var event: String?
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            let status = try status.map { text in
                guard let status = Delivery.Status(rawValue: text) else {
                    throw ValidationError("--status must be one of pending, in_flight, succeeded, failed")
                }
                return status
            }
            let query = DeliveryQuery(
                tenantId: try uuidOption(tenant, "--tenant"), status: status,
                eventId: try uuidOption(event, "--event"), webhookId: try uuidOption(webhook, "--webhook"),
                page: common.pageRequest)
            let page = try await common.withStore { try await $0.listDeliveries(query) }
            common.show(ChannexEnvelope.list(page) { ChannexEnvelope.delivery($0) }, Deliveries.columns)
        }
    }

    struct Retry: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make deliveries due now: settled ones again, pending ones without waiting.",
            discussion: OperatorOptions.discussion)
        @Argument(help: "Delivery ids (msg_…).") var ids: [String]
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            let deliveries = try await common.withStore { store -> [Delivery] in
                // Every id is checked before any is requeued, so a mistyped one changes nothing.
                for id in ids {
                    guard let delivery = try await store.delivery(id: id) else {
                        throw StartUp.fail("no delivery \(id)")
                    }
                    if delivery.status == .inFlight {
                        throw StartUp.fail(
                            "delivery \(id) is in flight: it is being sent now; retry it once it settles")
                    }
                }
                var requeued: [Delivery] = []
                for id in ids {
                    // One that went in flight since the check is being sent, which is what was asked.
                    if let delivery = try await store.requeue(deliveryId: id, now: Timestamp.now()) {
                        requeued.append(delivery)
                    }
                }
                return requeued
            }
            common.show(["data": .array(deliveries.map { ChannexEnvelope.delivery($0) })], Deliveries.columns)
        }
    }
}

// MARK: - herald portal-links

struct PortalLinksCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "portal-links", abstract: "Make, list and revoke one-time links into the consumer portal.",
        subcommands: [Create.self, List.self, Revoke.self])

    static let columns: [OperatorTable.Column] = [
        .init("id"), .init("tenant", "tenant_id"), .init("role"), .init("properties", "property_ids"),
        .init("expires", "expires_at"), .init("used", "used_at"), .init("revoked", "revoked_at"),
    ]

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a portal link for a tenant; its URL is printed once and opens once.",
            discussion: OperatorOptions.discussion)
        @Option(help: "The tenant whose webhooks the portal shows.") var tenant: String
        @Option(name: .customLong("property"), help: "Limit the portal to this property (repeatable).")
        var properties: [String] = []
        @Option(
            help:
                "admin (every webhook of the tenant) or user (webhooks of properties); default: admin for a whole tenant, user for properties."
        )
        var role: String?
        @Option(help: "Seconds the link stays openable, 60 to \(Int(PortalLink.maxLifetime)).")
        var expiresIn = Int(PortalLink.defaultLifetime)
        @Option(help: ArgumentHelp(HeraldSettings.publicURL.help)) var publicUrl: String?
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            var linkRole: Role?
            if let role {
                guard let parsed = Role(rawValue: role), parsed != .publisher else {
                    throw ValidationError("--role must be one of admin, user")
                }
                linkRole = parsed
            }
            let tenantId = try uuidOption(tenant, "--tenant")!
            let scope = try properties.isEmpty ? nil : properties.map { try uuidOption($0, "--property")! }
            // As `herald serve` reads it: the flag, HERALD_PUBLIC_URL, or the config file.
            let settings = try await SettingsReader.load(
                arguments: common.settings + (publicUrl.map { [HeraldSettings.publicURL.flag, $0] } ?? []),
                declared: HeraldSettings.store + [HeraldSettings.publicURL])
            guard let base = try settings.text(HeraldSettings.publicURL) else {
                throw StartUp.fail(
                    "a portal link needs the address partners reach Herald at: give --public-url or "
                        + "\(HeraldSettings.publicURL.variable), e.g. https://hooks.example.com")
            }
            let (link, token) = try await common.withStore { store in
                try await PortalLink.issue(
                    tenantId: tenantId, role: linkRole, propertyIds: scope, lifetime: TimeInterval(expiresIn),
                    createdBy: nil, now: Timestamp.now(), in: store)
            }
            common.show(
                ChannexEnvelope.single(
                    ChannexEnvelope.portalLink(link, url: PortalLinks.url(publicURL: base, token: token))),
                [.init("id"), .init("tenant", "tenant_id"), .init("expires", "expires_at"), .init("url")])
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List portal links (never their tokens).", discussion: OperatorOptions.discussion)
        @Option(help: "Only this tenant's links.") var tenant: String?
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            let tenantId = try uuidOption(tenant, "--tenant")
            let page = try await common.withStore {
                try await $0.listPortalLinks(tenantId: tenantId, page: common.pageRequest)
            }
            common.show(ChannexEnvelope.list(page) { ChannexEnvelope.portalLink($0) }, PortalLinksCommand.columns)
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Revoke a portal link: it no longer opens, and the session it opened ends.",
            discussion: OperatorOptions.discussion)
        @Argument(help: "The link's id (from `herald portal-links list`).") var id: String
        @OptionGroup var common: OperatorOptions

        func run() async throws {
            let id = try uuidOption(id, "id")!
            let link = try await common.withStore { store -> PortalLink in
                guard try await store.portalLink(id: id) != nil else { throw StartUp.fail("no portal link \(id.text)") }
                try await store.revokePortalLink(id: id, at: Timestamp.now())
                return try await store.portalLink(id: id)!
            }
            common.show(ChannexEnvelope.single(ChannexEnvelope.portalLink(link)), PortalLinksCommand.columns)
        }
    }
}

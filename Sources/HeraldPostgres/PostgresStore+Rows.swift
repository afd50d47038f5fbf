import Foundation
import HeraldCore
import PostgresNIO

/// Named columns of a row: a table's own, or those a join returns under a prefix
/// (``PrefixedColumns``), so that one decoder reads both.
protocol PostgresColumns {
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type) throws -> T
}

extension PostgresRandomAccessRow: PostgresColumns {
    func value<T: PostgresDecodable>(_ column: String, as type: T.Type) throws -> T {
        try self[column].decode(T.self)
    }
}

/// The columns a join returned as `prefix` + name.
struct PrefixedColumns: PostgresColumns {
    var row: PostgresRandomAccessRow
    var prefix: String

    func value<T: PostgresDecodable>(_ column: String, as type: T.Type) throws -> T {
        try row[prefix + column].decode(T.self)
    }
}

extension PostgresColumns {
    func value<T: PostgresDecodable>(_ column: String) throws -> T { try value(column, as: T.self) }

    func date(_ column: String) throws -> Date { Timestamp.date(millis: try value(column, as: Int64.self)) }

    func optionalDate(_ column: String) throws -> Date? {
        try value(column, as: Int64?.self).map(Timestamp.date(millis:))
    }

    func json(_ column: String) throws -> JSONValue? {
        try value(column, as: String?.self).flatMap { try? JSONValue.decode($0) }
    }

    /// A stored list of ids (a key's or link's property scope): nil when the column is; a value
    /// that does not read as one is an error, never "no scope".
    func uuidList(_ column: String, table: String) throws -> [UUID]? {
        guard let text = try value(column, as: String?.self) else { return nil }
        guard let items = (try? JSONValue.decode(text))?.arrayValue else {
            throw CorruptRow(table: table, column: column)
        }
        return try items.map { item in
            guard let id = item.stringValue.flatMap(UUID.init) else { throw CorruptRow(table: table, column: column) }
            return id
        }
    }

    func stringMap(_ column: String) throws -> [String: String]? {
        try json(column)?.objectValue?.compactMapValues(\.stringValue)
    }
}

/// A stored value that no longer reads as what Herald wrote.
struct CorruptRow: Error, CustomStringConvertible {
    var table: String
    var column: String
    var description: String { "unreadable \(table).\(column)" }
}

extension Tenant {
    init(postgres row: some PostgresColumns) throws {
        self.init(
            id: try row.value("id"), name: try row.value("name"), demoMode: try row.value("demo_mode"),
            octoSupplier: try row.json("octo_supplier"), createdAt: try row.date("created_at"))
    }
}

extension APIKey {
    init(postgres row: PostgresRandomAccessRow) throws {
        guard let role = Role(rawValue: try row.value("role")) else {
            throw CorruptRow(table: "api_keys", column: "role")
        }
        self.init(
            id: try row.value("id"), tenantId: try row.value("tenant_id"), role: role,
            propertyIds: try row.uuidList("property_ids", table: "api_keys"),
            title: try row.value("title"), prefix: try row.value("prefix"), hash: try row.value("hash"),
            createdAt: try row.date("created_at"), lastUsedAt: try row.optionalDate("last_used_at"),
            revokedAt: try row.optionalDate("revoked_at"))
    }
}

extension Property {
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            id: try row.value("id"), tenantId: try row.value("tenant_id"), title: try row.value("title"),
            createdAt: try row.date("created_at"))
    }
}

extension Webhook {
    init(postgres row: some PostgresColumns, box: SecretBox) throws {
        guard let dialect = Dialect(rawValue: try row.value("dialect")),
            let mask = try? EventMask(parsing: try row.value("event_mask"))
        else { throw CorruptRow(table: "webhooks", column: "dialect/event_mask") }
        let id: UUID = try row.value("id")
        let opened = try SecretColumns(postgres: row).opened(webhookId: id, box: box)
        self.init(
            id: id, tenantId: try row.value("tenant_id"), propertyId: try row.value("property_id"),
            isGlobal: try row.value("is_global"), dialect: dialect, callbackURL: opened.callbackURL,
            eventMask: mask, requestParams: opened.requestParams, headers: opened.headers,
            isActive: try row.value("is_active"), sendData: try row.value("send_data"),
            isProtected: try row.value("protected"), secrets: opened.secrets,
            disabledReason: try row.value("disabled_reason"),
            retryPolicy: try row.json("retry_policy").flatMap { try? RetryPolicy.parse($0).get() },
            failingSince: try row.optionalDate("failing_since"),
            octo: try row.json("octo").flatMap(OctoSettings.init(json:)),
            receivesTestEvents: try row.value("receives_test_events"),
            limits: EndpointLimits(maxInFlight: try row.value("max_in_flight"), rateLimit: try row.value("rate_limit")),
            circuit: try Circuit(postgres: row), createdAt: try row.date("created_at"),
            updatedAt: try row.date("updated_at"))
    }
}

extension SecretColumns {
    init(postgres row: some PostgresColumns) throws {
        self.init(
            callbackURL: try row.value("callback_url"), requestParams: try row.value("request_params"),
            headers: try row.value("headers"), secrets: try row.value("secrets"))
    }
}

extension WebhookRoute {
    init(postgres row: PostgresRandomAccessRow, box: SecretBox) throws {
        guard let mask = try? EventMask(parsing: try row.value("event_mask")) else {
            throw CorruptRow(table: "webhooks", column: "event_mask")
        }
        let id: UUID = try row.value("id")
        self.init(
            id: id, tenantId: try row.value("tenant_id"), propertyId: try row.value("property_id"),
            isGlobal: try row.value("is_global"), isActive: try row.value("is_active"),
            receivesTestEvents: try row.value("receives_test_events"), eventMask: mask,
            callbackURL: SecretColumns.routeURL(try row.value("callback_url"), webhookId: id, box: box))
    }
}

extension Circuit {
    init(postgres row: some PostgresColumns) throws {
        self.init(
            failures: try row.value("circuit_failures"), openedAt: try row.optionalDate("circuit_opened_at"),
            probeAt: try row.optionalDate("circuit_probe_at"), failedProbes: try row.value("circuit_failed_probes"))
    }
}

extension EndpointBacklog {
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            webhookId: try row.value("id"), tenantId: try row.value("tenant_id"), waiting: try row.value("waiting"),
            firstDue: try row.date("first_due"), inFlight: try row.value("in_flight"),
            isActive: try row.value("is_active"),
            limits: EndpointLimits(maxInFlight: try row.value("max_in_flight"), rateLimit: try row.value("rate_limit")),
            circuit: try Circuit(postgres: row), nextSendAt: try row.optionalDate("next_send_at"))
    }
}

extension Event {
    init(postgres row: some PostgresColumns) throws {
        self.init(
            id: try row.value("id"), tenantId: try row.value("tenant_id"), propertyId: try row.value("property_id"),
            name: try row.value("name"), userId: try row.value("user_id"), payload: try row.json("payload") ?? .null,
            occurredAt: try row.date("occurred_at"), idempotencyKey: try row.value("idempotency_key"),
            isTest: try row.value("test"), createdAt: try row.date("created_at"),
            traceParent: try row.value("trace_parent"))
    }
}

extension Delivery {
    init(postgres row: PostgresRandomAccessRow) throws {
        guard let status = Status(rawValue: try row.value("status")) else {
            throw CorruptRow(table: "deliveries", column: "status")
        }
        self.init(
            id: try row.value("id"), eventId: try row.value("event_id"), webhookId: try row.value("webhook_id"),
            tenantId: try row.value("tenant_id"), eventName: try row.value("event_name"),
            ariFilters: try row.json("ari_filters")?.arrayValue?.compactMap(ARIFilter.init(json:)) ?? [],
            status: status, attempts: try row.value("attempts", as: Int.self),
            nextAttemptAt: try row.optionalDate("next_attempt_at"), leaseUntil: try row.optionalDate("lease_until"),
            leaseOwner: try row.value("lease_owner"), lastStatusCode: try row.value("last_status_code", as: Int?.self),
            lastError: try row.value("last_error"), createdAt: try row.date("created_at"),
            settledAt: try row.optionalDate("settled_at"))
    }
}

extension DeliveryAttempt {
    init(postgres row: PostgresRandomAccessRow) throws {
        self.init(
            deliveryId: try row.value("delivery_id"), number: try row.value("n", as: Int.self),
            startedAt: try row.date("started_at"), durationMs: try row.value("duration_ms", as: Int.self),
            statusCode: try row.value("status_code", as: Int?.self), responseBody: try row.value("response_body"),
            error: try row.value("error"))
    }
}

extension PostgresRowSequence {
    /// Every row, read into `T`.
    func all<T>(_ make: (PostgresRandomAccessRow) throws -> T) async throws -> [T] {
        var items: [T] = []
        for try await row in self { items.append(try make(row.makeRandomAccess())) }
        return items
    }
}

/// Builds a statement with numbered placeholders as conditions come and go.
struct StatementBuilder {
    var conditions: [String] = []
    var bindings = PostgresBindings()
    var count = 0

    mutating func bind<T: PostgresEncodable & Sendable>(_ value: T) throws -> String {
        try bindings.append(value)
        count += 1
        return "$\(count)"
    }

    mutating func bindOptional<T: PostgresEncodable & Sendable>(_ value: T?) throws -> String {
        if let value { try bindings.append(value) } else { bindings.appendNull() }
        count += 1
        return "$\(count)"
    }

    var whereClause: String { conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ") }

    func query(_ sql: String) -> PostgresQuery { PostgresQuery(unsafeSQL: sql, binds: bindings) }
}

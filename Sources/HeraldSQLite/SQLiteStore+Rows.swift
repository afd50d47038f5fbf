import Foundation
import GRDB
import HeraldCore

/// A stored value that no longer reads as what Herald wrote.
struct CorruptRow: Error, CustomStringConvertible {
    var table: String
    var column: String
    var description: String { "unreadable \(table).\(column)" }
}

extension Row {
    /// Each row of `statement` made into a value as it is stepped. GRDB's copied rows (what
    /// `fetchAll` and `fetchOne` return) find a column by name by lower-casing every column's
    /// name at every lookup: a claim's backlog and webhooks spent more time there than in SQLite.
    /// A cursor's row finds it in a dictionary made once per cursor. `make` must not keep the row.
    static func decodeAll<T>(
        _ statement: Statement, arguments: StatementArguments = StatementArguments(), _ make: (Row) throws -> T
    ) throws -> [T] {
        let cursor = try Row.fetchCursor(statement, arguments: arguments)
        var items: [T] = []
        while let row = try cursor.next() { items.append(try make(row)) }
        return items
    }

    /// The first row of `statement` made into a value, as ``decodeAll(_:arguments:_:)`` does.
    static func decodeOne<T>(
        _ statement: Statement, arguments: StatementArguments = StatementArguments(), _ make: (Row) throws -> T
    ) throws -> T? {
        let cursor = try Row.fetchCursor(statement, arguments: arguments)
        // The cursor resets the statement when it goes: it must outlive the read of its row.
        return try withExtendedLifetime(cursor) { try cursor.next().map(make) }
    }

    func uuid(_ column: String, table: String) throws -> UUID {
        guard let text: String = self[column], let id = UUID(text: text) else {
            throw CorruptRow(table: table, column: column)
        }
        return id
    }

    func optionalUUID(_ column: String, table: String) throws -> UUID? {
        guard let text: String = self[column] else { return nil }
        guard let id = UUID(text: text) else { throw CorruptRow(table: table, column: column) }
        return id
    }

    func date(_ column: String) -> Date { Timestamp.date(millis: self[column]) }

    func optionalDate(_ column: String) -> Date? { (self[column] as Int64?).map(Timestamp.date(millis:)) }

    func json(_ column: String) -> JSONValue? {
        guard let text: String = self[column] else { return nil }
        return try? JSONValue.decode(text)
    }

    /// A stored list of ids (a key's or link's property scope): nil when the column is; a value
    /// that does not read as one is an error, never "no scope".
    func uuidList(_ column: String, table: String) throws -> [UUID]? {
        guard let text: String = self[column] else { return nil }
        guard let items = (try? JSONValue.decode(text))?.arrayValue else {
            throw CorruptRow(table: table, column: column)
        }
        return try items.map { item in
            guard let id = item.stringValue.flatMap(UUID.init) else { throw CorruptRow(table: table, column: column) }
            return id
        }
    }

    func stringMap(_ column: String) -> [String: String]? {
        json(column)?.objectValue?.compactMapValues(\.stringValue)
    }
}

extension Tenant {
    init(row: Row) throws {
        self.init(
            id: try row.uuid("id", table: "tenants"), name: row["name"], demoMode: row["demo_mode"],
            octoSupplier: row.json("octo_supplier"), createdAt: row.date("created_at"))
    }
}

extension APIKey {
    init(row: Row) throws {
        guard let role = Role(rawValue: row["role"]) else { throw CorruptRow(table: "api_keys", column: "role") }
        self.init(
            id: try row.uuid("id", table: "api_keys"),
            tenantId: try row.optionalUUID("tenant_id", table: "api_keys"),
            role: role,
            propertyIds: try row.uuidList("property_ids", table: "api_keys"),
            title: row["title"],
            prefix: row["prefix"],
            hash: row["hash"],
            createdAt: row.date("created_at"),
            lastUsedAt: row.optionalDate("last_used_at"),
            revokedAt: row.optionalDate("revoked_at"))
    }
}

extension Property {
    init(row: Row) throws {
        self.init(
            id: try row.uuid("id", table: "properties"), tenantId: try row.uuid("tenant_id", table: "properties"),
            title: row["title"], createdAt: row.date("created_at"))
    }
}

extension Webhook {
    init(row: Row, box: SecretBox) throws {
        guard let dialect = Dialect(rawValue: row["dialect"]), let mask = try? EventMask(parsing: row["event_mask"])
        else { throw CorruptRow(table: "webhooks", column: "dialect/event_mask") }
        let id = try row.uuid("id", table: "webhooks")
        let opened = try SecretColumns(row: row).opened(webhookId: id, box: box)
        self.init(
            id: id,
            tenantId: try row.uuid("tenant_id", table: "webhooks"),
            propertyId: try row.optionalUUID("property_id", table: "webhooks"),
            isGlobal: row["is_global"],
            dialect: dialect,
            callbackURL: opened.callbackURL,
            eventMask: mask,
            requestParams: opened.requestParams,
            headers: opened.headers,
            isActive: row["is_active"],
            sendData: row["send_data"],
            isProtected: row["protected"],
            secrets: opened.secrets,
            disabledReason: row["disabled_reason"],
            retryPolicy: row.json("retry_policy").flatMap { try? RetryPolicy.parse($0).get() },
            failingSince: row.optionalDate("failing_since"),
            octo: row.json("octo").flatMap(OctoSettings.init(json:)),
            receivesTestEvents: row["receives_test_events"],
            limits: EndpointLimits(maxInFlight: row["max_in_flight"], rateLimit: row["rate_limit"]),
            circuit: Circuit(row: row),
            createdAt: row.date("created_at"),
            updatedAt: row.date("updated_at"))
    }
}

extension Circuit {
    init(row: Row) {
        self.init(
            failures: row["circuit_failures"], openedAt: row.optionalDate("circuit_opened_at"),
            probeAt: row.optionalDate("circuit_probe_at"), failedProbes: row["circuit_failed_probes"])
    }
}

extension EndpointBacklog {
    init(row: Row) throws {
        self.init(
            webhookId: try row.uuid("id", table: "webhooks"), tenantId: try row.uuid("tenant_id", table: "webhooks"),
            waiting: row["waiting"], firstDue: row.date("first_due"), inFlight: row["in_flight"],
            isActive: row["is_active"],
            limits: EndpointLimits(maxInFlight: row["max_in_flight"], rateLimit: row["rate_limit"]),
            circuit: Circuit(row: row), nextSendAt: row.optionalDate("next_send_at"))
    }
}

extension Event {
    init(row: Row) throws {
        self.init(
            id: try row.uuid("id", table: "events"),
            tenantId: try row.uuid("tenant_id", table: "events"),
            propertyId: try row.optionalUUID("property_id", table: "events"),
            name: row["name"],
            userId: row["user_id"],
            payload: row.json("payload") ?? .null,
            occurredAt: row.date("occurred_at"),
            idempotencyKey: row["idempotency_key"],
            isTest: row["test"],
            createdAt: row.date("created_at"),
            traceParent: row["trace_parent"])
    }
}

extension Delivery {
    init(row: Row) throws {
        guard let status = Status(rawValue: row["status"]) else {
            throw CorruptRow(table: "deliveries", column: "status")
        }
        self.init(
            id: row["id"],
            eventId: try row.uuid("event_id", table: "deliveries"),
            webhookId: try row.uuid("webhook_id", table: "deliveries"),
            tenantId: try row.uuid("tenant_id", table: "deliveries"),
            eventName: row["event_name"],
            ariFilters: row.json("ari_filters")?.arrayValue?.compactMap(ARIFilter.init(json:)) ?? [],
            status: status,
            attempts: row["attempts"],
            nextAttemptAt: row.optionalDate("next_attempt_at"),
            leaseUntil: row.optionalDate("lease_until"),
            leaseOwner: row["lease_owner"],
            lastStatusCode: row["last_status_code"],
            lastError: row["last_error"],
            createdAt: row.date("created_at"),
            settledAt: row.optionalDate("settled_at"))
    }
}

extension DeliveryAttempt {
    init(row: Row) {
        self.init(
            deliveryId: row["delivery_id"], number: row["n"], startedAt: row.date("started_at"),
            durationMs: row["duration_ms"], statusCode: row["status_code"], responseBody: row["response_body"],
            error: row["error"])
    }
}

extension SecretColumns {
    init(row: Row) {
        self.init(
            callbackURL: row["callback_url"], requestParams: row["request_params"], headers: row["headers"],
            secrets: row["secrets"])
    }
}

extension WebhookRoute {
    init(row: Row, box: SecretBox) throws {
        guard let mask = try? EventMask(parsing: row["event_mask"]) else {
            throw CorruptRow(table: "webhooks", column: "event_mask")
        }
        let id = try row.uuid("id", table: "webhooks")
        self.init(
            id: id, tenantId: try row.uuid("tenant_id", table: "webhooks"),
            propertyId: try row.optionalUUID("property_id", table: "webhooks"),
            isGlobal: row["is_global"], isActive: row["is_active"], receivesTestEvents: row["receives_test_events"],
            eventMask: mask, callbackURL: SecretColumns.routeURL(row["callback_url"], webhookId: id, box: box))
    }
}

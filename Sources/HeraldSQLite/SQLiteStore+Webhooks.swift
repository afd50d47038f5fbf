import Foundation
import GRDB
import HeraldCore

extension SQLiteStore: WebhookStore {
    public func insertWebhook(_ webhook: Webhook) async throws {
        try await insertWebhooks([webhook])
    }

    public func insertWebhooks(_ webhooks: [Webhook]) async throws {
        try await pool.write { db in
            for webhook in webhooks {
                try db.cachedStatement(
                    sql: """
                        INSERT INTO webhooks (id, tenant_id, property_id, is_global, dialect, callback_url, event_mask,
                            request_params, headers, is_active, send_data, protected, secrets, disabled_reason,
                            retry_policy, failing_since, octo, receives_test_events, max_in_flight, rate_limit, created_at,
                            updated_at)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                        """
                ).execute(
                    arguments: [webhook.id.text, webhook.tenantId.text] + mutableColumns(webhook)
                        + [Timestamp.millis(webhook.createdAt), Timestamp.millis(webhook.updatedAt)])
            }
        }
    }

    public func updateWebhook(_ webhook: Webhook) async throws {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE webhooks SET property_id = ?, is_global = ?, dialect = ?, callback_url = ?, event_mask = ?,
                        request_params = ?, headers = ?, is_active = ?, send_data = ?, protected = ?, secrets = ?,
                        disabled_reason = ?, retry_policy = ?, failing_since = ?, octo = ?, receives_test_events = ?,
                        max_in_flight = ?, rate_limit = ?, updated_at = ?
                    WHERE id = ?
                    """,
                arguments: mutableColumns(webhook) + [Timestamp.millis(webhook.updatedAt), webhook.id.text])
            if db.changesCount == 0 { throw StoreError.notFound }
            // The circuit is the dispatcher's to move; an update only closes it, on a revival.
            if webhook.isActive && webhook.circuit == .closed {
                try db.execute(
                    sql: """
                        UPDATE webhooks SET circuit_failures = 0, circuit_opened_at = NULL, circuit_probe_at = NULL,
                            circuit_failed_probes = 0
                        WHERE id = ? AND circuit_probe_at IS NOT NULL
                        """, arguments: [webhook.id.text])
            }
        }
    }

    public func disableWebhook(id: UUID, reason: String, at date: Date) async throws -> (
        webhook: Webhook, disabled: Bool
    )? {
        try await pool.write { db in
            try db.execute(
                sql: """
                    UPDATE webhooks SET is_active = 0, disabled_reason = ?, updated_at = ? WHERE id = ? AND is_active = 1
                    """, arguments: [reason, Timestamp.millis(date), id.text])
            let disabled = db.changesCount > 0
            return try Row.fetchOne(db, sql: "SELECT * FROM webhooks WHERE id = ?", arguments: [id.text])
                .map { (try Webhook(row: $0, box: secretBox), disabled) }
        }
    }

    public func webhook(id: UUID) async throws -> Webhook? {
        try pointRead { db in
            try Row.decodeOne(db.cachedStatement(sql: "SELECT * FROM webhooks WHERE id = ?"), arguments: [id.text]) {
                try Webhook(row: $0, box: secretBox)
            }
        }
    }

    public func webhookCount(tenantId: UUID) async throws -> Int {
        try pointRead { db in
            try Int.fetchOne(
                db.cachedStatement(sql: "SELECT COUNT(*) FROM webhooks WHERE tenant_id = ?"), arguments: [tenantId.text]
            )
                ?? 0
        }
    }

    public func deleteWebhook(id: UUID) async throws {
        try await pool.write { db in
            try db.execute(sql: "DELETE FROM webhooks WHERE id = ?", arguments: [id.text])
            if db.changesCount == 0 { throw StoreError.notFound }
        }
    }

    public func listWebhooks(_ query: WebhookQuery) async throws -> Page<Webhook> {
        try await pool.read { db in
            var conditions: [String] = []
            var arguments = StatementArguments()
            if let tenantId = query.tenantId {
                conditions.append("tenant_id = ?")
                arguments += [tenantId.text]
            }
            if let scope = query.propertyScope {
                let global = query.includeGlobal ? " OR is_global = 1" : ""
                conditions.append("(property_id IN (\(Self.placeholders(scope.count)))\(global))")
                arguments += StatementArguments(scope.map(\.text))
            } else if !query.includeGlobal {
                conditions.append("is_global = 0")
            }
            if let propertyId = query.propertyId {
                conditions.append("property_id = ?")
                arguments += [propertyId.text]
            }
            if let isActive = query.isActive {
                conditions.append("is_active = ?")
                arguments += [isActive]
            }
            if let isGlobal = query.isGlobal {
                conditions.append("is_global = ?")
                arguments += [isGlobal]
            }
            if let dialect = query.dialect {
                conditions.append("dialect = ?")
                arguments += [dialect.rawValue]
            }
            let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM webhooks \(filter)", arguments: arguments) ?? 0
            let rows = try Row.fetchAll(
                db, sql: "SELECT * FROM webhooks \(filter) ORDER BY created_at, id LIMIT ? OFFSET ?",
                arguments: arguments + [query.page.limit, query.page.offset])
            return Page(
                items: try rows.map { try Webhook(row: $0, box: secretBox) }, page: query.page.page,
                limit: query.page.limit, total: total)
        }
    }

    public func sealingCensus() async throws -> SealingCensus {
        try await pool.read { db in
            var census = SealingCensus()
            for row in try Row.fetchAll(db, sql: SealingCensus.query) {
                let count: Int = row["n"]
                if let id: String = row["key_id"] { census.sealed[id] = count } else { census.clear = count }
            }
            return census
        }
    }

    public func resealWebhooks(
        after: UUID?, limit: Int, _ transform: @Sendable (UUID, SecretColumns) throws -> SecretColumns?
    ) async throws -> (written: Int, last: UUID?) {
        let result: (written: Int, last: UUID?) = try await pool.write { db in
            // What a row held before is zeroed where it lay, not left in a free cell or page.
            try db.execute(sql: "PRAGMA secure_delete = ON")
            defer { try? db.execute(sql: "PRAGMA secure_delete = OFF") }
            let rows = try Row.fetchAll(
                db,
                sql: """
                    SELECT id, callback_url, request_params, headers, secrets FROM webhooks WHERE id > ? ORDER BY id
                    LIMIT ?
                    """,
                arguments: [after?.text ?? "", limit])
            var written = 0
            var last: UUID?
            for row in rows {
                let id = try row.uuid("id", table: "webhooks")
                last = id
                guard let columns = try transform(id, SecretColumns(row: row)) else { continue }
                try db.execute(
                    sql:
                        "UPDATE webhooks SET callback_url = ?, request_params = ?, headers = ?, secrets = ? WHERE id = ?",
                    arguments: [columns.callbackURL, columns.requestParams, columns.headers, columns.secrets, id.text])
                written += 1
            }
            return (written, last)
        }
        // The last batch: the pages copied into the database file, the log emptied, so that no
        // earlier image of a row stays in the write-ahead log (as far as readers let it).
        if result.last == nil { _ = try? await pool.writeWithoutTransaction { try $0.checkpoint(.truncate) } }
        return result
    }

    /// The columns an update may change, in the order both statements list them.
    func mutableColumns(_ webhook: Webhook) -> StatementArguments {
        let sealed = SecretColumns(webhook, box: secretBox)
        return [
            webhook.propertyId?.text, webhook.isGlobal, webhook.dialect.rawValue, sealed.callbackURL,
            webhook.eventMask.raw, sealed.requestParams, sealed.headers,
            webhook.isActive, webhook.sendData, webhook.isProtected, sealed.secrets,
            webhook.disabledReason, webhook.retryPolicy?.json.encodedString(),
            webhook.failingSince.map(Timestamp.millis), webhook.octo?.json.encodedString(), webhook.receivesTestEvents,
            webhook.limits.maxInFlight, webhook.limits.rateLimit,
        ]
    }
}

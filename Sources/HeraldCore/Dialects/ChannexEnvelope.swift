import Foundation

/// The Channex read shapes: `{"type", "id", "attributes", "relationships"}` resources and
/// `meta {page, limit, total}`.
public enum ChannexEnvelope {
    public static func resource(
        type: String, id: UUID, attributes: [String: JSONValue], relationships: [String: JSONValue]? = nil
    ) -> JSONValue {
        resource(type: type, id: id.text, attributes: attributes, relationships: relationships)
    }

    public static func resource(
        type: String, id: String, attributes: [String: JSONValue], relationships: [String: JSONValue]? = nil
    ) -> JSONValue {
        var resource: [String: JSONValue] = [
            "type": .string(type), "id": .string(id), "attributes": .object(attributes),
        ]
        if let relationships { resource["relationships"] = .object(relationships) }
        return .object(resource)
    }

    public static func reference(type: String, id: UUID) -> JSONValue {
        ["data": ["type": .string(type), "id": .string(id.text)]]
    }

    public static func single(_ resource: JSONValue) -> JSONValue { ["data": resource] }

    public static func list<Item>(_ page: Page<Item>, render: (Item) -> JSONValue) -> JSONValue {
        [
            "data": .array(page.items.map(render)),
            "meta": [
                "page": .int(Int64(page.page)), "limit": .int(Int64(page.limit)), "total": .int(Int64(page.total)),
            ],
        ]
    }

    public static let success: JSONValue = ["meta": ["message": "Success"]]

    /// A webhook's read model. URL credentials are always masked; `redacted` (for a caller who
    /// may not change the webhook) masks its header values too, which often carry tokens.
    public static func webhook(_ webhook: Webhook, signingSecret: String? = nil, redacted: Bool = false) -> JSONValue {
        var webhook = webhook
        if redacted { webhook.headers = webhook.headers?.mapValues { _ in CallbackURL.mask } }
        var attributes: [String: JSONValue] = [
            "id": .string(webhook.id.text),
            "callback_url": .string(CallbackURL.masked(webhook.callbackURL)),
            "event_mask": .string(webhook.eventMask.raw),
            "request_params": stringMap(webhook.requestParams),
            "headers": stringMap(webhook.headers),
            "is_active": .bool(webhook.isActive),
            "send_data": .bool(webhook.sendData),
            "protected": .bool(webhook.isProtected),
            "is_global": .bool(webhook.isGlobal),
            "property_id": webhook.propertyId.map { .string($0.text) } ?? .null,
            "dialect": .string(webhook.dialect.rawValue),
            "disabled_reason": webhook.disabledReason.map(JSONValue.string) ?? .null,
            "retry_policy": webhook.retryPolicy?.json ?? .null,
            "receives_test_events": .bool(webhook.receivesTestEvents),
            "max_in_flight": .int(Int64(webhook.limits.maxInFlight)),
            "rate_limit": webhook.limits.rateLimit.map { .int(Int64($0)) } ?? .null,
            "circuit": circuit(webhook.circuit),
            "created_at": .string(Timestamp.iso(webhook.createdAt)),
            "updated_at": .string(Timestamp.iso(webhook.updatedAt)),
        ]
        if let signingSecret { attributes["signing_secret"] = .string(signingSecret) }
        // OCTO webhooks show read-only here, with their own object beside the common fields.
        if webhook.dialect == .octo { attributes["octo"] = OctoPayload.webhook(webhook) }
        var relationships: [String: JSONValue] = ["organization": reference(type: "organization", id: webhook.tenantId)]
        if let property = webhook.propertyId { relationships["property"] = reference(type: "property", id: property) }
        return resource(type: "webhook", id: webhook.id, attributes: attributes, relationships: relationships)
    }

    /// The endpoint's circuit breaker: `closed`, or `open` with when it opened and when the next
    /// probe may go (it is half-open from then until the probe settles).
    static func circuit(_ circuit: Circuit) -> JSONValue {
        [
            "state": .string(circuit.isOpen ? Circuit.State.open.rawValue : Circuit.State.closed.rawValue),
            "consecutive_failures": .int(Int64(circuit.failures)),
            "opened_at": circuit.openedAt.map { .string(Timestamp.iso($0)) } ?? .null,
            "next_probe_at": circuit.probeAt.map { .string(Timestamp.iso($0)) } ?? .null,
        ]
    }

    public static func webhookSecret(_ webhook: Webhook, now: Date) -> JSONValue {
        let live = webhook.signingSecrets(at: now)
        return resource(
            type: "webhook_secret", id: webhook.id,
            attributes: [
                "signing_secret": webhook.currentSecret.map { .string($0.value) } ?? .null,
                "previous_secrets": .array(
                    live.filter { $0.expiresAt != nil }.map { secret in
                        [
                            "signing_secret": .string(secret.value),
                            "expires_at": secret.expiresAt.map { .string(Timestamp.iso($0)) } ?? .null,
                        ]
                    }),
            ])
    }

    public static func tenant(_ tenant: Tenant) -> JSONValue {
        resource(
            type: "tenant", id: tenant.id,
            attributes: [
                "id": .string(tenant.id.text),
                "name": .string(tenant.name),
                "demo_mode": .bool(tenant.demoMode),
                "octo_supplier": tenant.octoSupplier ?? .null,
                "created_at": .string(Timestamp.iso(tenant.createdAt)),
            ])
    }

    public static func property(_ property: Property) -> JSONValue {
        resource(
            type: "property", id: property.id,
            attributes: [
                "id": .string(property.id.text),
                "title": .string(property.title),
                "created_at": .string(Timestamp.iso(property.createdAt)),
            ],
            relationships: ["organization": reference(type: "organization", id: property.tenantId)])
    }

    /// An API key; `key` is the secret itself, given only in the answer that made it.
    public static func apiKey(_ key: APIKey, secret: String? = nil) -> JSONValue {
        var attributes: [String: JSONValue] = [
            "id": .string(key.id.text),
            "tenant_id": key.tenantId.map { .string($0.text) } ?? .null,
            "role": .string(key.role.rawValue),
            "property_ids": key.propertyIds.map { .array($0.map { .string($0.text) }) } ?? .null,
            "title": key.title.map(JSONValue.string) ?? .null,
            "prefix": .string(key.prefix),
            "created_at": .string(Timestamp.iso(key.createdAt)),
            "last_used_at": key.lastUsedAt.map { .string(Timestamp.iso($0)) } ?? .null,
            "revoked_at": key.revokedAt.map { .string(Timestamp.iso($0)) } ?? .null,
        ]
        if let secret { attributes["key"] = .string(secret) }
        return resource(type: "api_key", id: key.id, attributes: attributes)
    }

    /// A portal link; `url` (with its one-time token) only in the answer that made it.
    public static func portalLink(_ link: PortalLink, url: String? = nil) -> JSONValue {
        var attributes: [String: JSONValue] = [
            "id": .string(link.id.text),
            "tenant_id": .string(link.tenantId.text),
            "role": .string(link.role.rawValue),
            "property_ids": link.propertyIds.map { .array($0.map { .string($0.text) }) } ?? .null,
            "created_at": .string(Timestamp.iso(link.createdAt)),
            "expires_at": .string(Timestamp.iso(link.expiresAt)),
            "used_at": link.usedAt.map { .string(Timestamp.iso($0)) } ?? .null,
            "revoked_at": link.revokedAt.map { .string(Timestamp.iso($0)) } ?? .null,
        ]
        if let url { attributes["url"] = .string(url) }
        return resource(type: "portal_link", id: link.id, attributes: attributes)
    }

    public static func event(_ result: IngestResult) -> JSONValue {
        let event = result.event
        return resource(
            type: "event", id: event.id,
            attributes: [
                "id": .string(event.id.text),
                "name": .string(event.name),
                "property_id": event.propertyId.map { .string($0.text) } ?? .null,
                "user_id": event.userId.map(JSONValue.string) ?? .null,
                "timestamp": .string(Timestamp.iso(event.occurredAt)),
                "idempotency_key": event.idempotencyKey.map(JSONValue.string) ?? .null,
                "test": .bool(event.isTest),
                "deliveries": .int(Int64(result.deliveries)),
                "replayed": .bool(result.replayed),
                "created_at": .string(Timestamp.iso(event.createdAt)),
            ],
            relationships: ["organization": reference(type: "organization", id: event.tenantId)])
    }

    /// An event of the log, with its deliveries counted by status (`GET /api/v1/events`).
    public static func event(_ summary: EventSummary) -> JSONValue {
        guard case .object(var resource) = event(IngestResult(event: summary.event, deliveries: 0, replayed: false)),
            case .object(var attributes)? = resource["attributes"]
        else { return .null }
        attributes["replayed"] = nil
        attributes["deliveries"] = .int(Int64(summary.total))
        var counts: [String: JSONValue] = [:]
        for status in Delivery.Status.allCases {
            counts[status.rawValue] = .int(
                Int64((summary.deliveries[status] ?? 0) + (status == .pending ? summary.deferred : 0)))
        }
        attributes["delivery_counts"] = .object(counts)
        resource["attributes"] = .object(attributes)
        return .object(resource)
    }

    public static func delivery(_ delivery: Delivery, attempts: [DeliveryAttempt]? = nil) -> JSONValue {
        func date(_ value: Date?) -> JSONValue { value.map { .string(Timestamp.iso($0)) } ?? .null }
        var attributes: [String: JSONValue] = [
            "id": .string(delivery.id),
            "event_id": .string(delivery.eventId.text),
            "webhook_id": .string(delivery.webhookId.text),
            "event": .string(delivery.eventName),
            "status": .string(delivery.status.rawValue),
            "attempts": .int(Int64(delivery.attempts)),
            "next_attempt_at": delivery.status == .pending ? date(delivery.nextAttemptAt) : .null,
            "last_status_code": delivery.lastStatusCode.map { .int(Int64($0)) } ?? .null,
            "last_error": delivery.lastError.map(JSONValue.string) ?? .null,
            "created_at": date(delivery.createdAt),
            "settled_at": date(delivery.settledAt),
        ]
        if let attempts {
            attributes["attempt_log"] = .array(
                attempts.map { attempt in
                    [
                        "n": .int(Int64(attempt.number)),
                        "started_at": date(attempt.startedAt),
                        "duration_ms": .int(Int64(attempt.durationMs)),
                        "status_code": attempt.statusCode.map { .int(Int64($0)) } ?? .null,
                        "response_body": attempt.responseBody.map(JSONValue.string) ?? .null,
                        "error": attempt.error.map(JSONValue.string) ?? .null,
                    ]
                })
        }
        return resource(
            type: "delivery", id: delivery.id, attributes: attributes,
            relationships: [
                "webhook": reference(type: "webhook", id: delivery.webhookId),
                "event": reference(type: "event", id: delivery.eventId),
            ])
    }

    static func stringMap(_ map: [String: String]?) -> JSONValue {
        map.map { .object($0.mapValues(JSONValue.string)) } ?? .null
    }
}

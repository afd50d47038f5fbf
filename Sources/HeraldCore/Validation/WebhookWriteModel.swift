import Foundation

/// The Channex write model (`{"webhook": {...}}`) after field-level validation.
///
/// Create and test require `callback_url`, `event_mask` and the `property_id` key; update (PUT)
/// changes only the fields it is given.
public struct WebhookWriteModel: Sendable {
    public var callbackURL: Presence<String> = .absent
    public var eventMask: Presence<EventMask> = .absent
    public var propertyId: Presence<UUID?> = .absent
    public var isGlobal: Presence<Bool> = .absent
    public var requestParams: Presence<[String: String]?> = .absent
    public var headers: Presence<[String: String]?> = .absent
    public var isActive: Presence<Bool> = .absent
    public var sendData: Presence<Bool> = .absent
    public var isProtected: Presence<Bool> = .absent
    /// Platform admins name the tenant of a global webhook (others act in their own tenant).
    public var tenantId: Presence<UUID?> = .absent
    /// nil: the default (Channex) schedule.
    public var retryPolicy: Presence<RetryPolicy?> = .absent
    public var receivesTestEvents: Presence<Bool> = .absent
    public var maxInFlight: Presence<Int> = .absent
    /// nil: no rate limit.
    public var rateLimit: Presence<Int?> = .absent

    public init() {}

    public enum Mode: Sendable {
        case create
        case update
        /// `POST /webhooks/test`: an unsaved webhook; `property_id` may be left out.
        case test
    }

    /// The fields of a write body: the Channex write model and Herald's own, and the read model's
    /// others, which a write ignores. The test route also takes the `signing_secret` to sign with.
    public static func fields(for mode: Mode) -> FieldNames {
        FieldNames(
            [
                "callback_url", "event_mask", "property_id", "is_global", "is_active", "send_data", "protected",
                "request_params", "headers", "tenant_id", "retry_policy", "receives_test_events", "max_in_flight",
                "rate_limit",
            ] + (mode == .test ? ["signing_secret"] : []),
            // The create answer's `signing_secret` sent back is ignored (rotation has its route).
            readOnly: ["id", "dialect", "disabled_reason", "circuit", "created_at", "updated_at"]
                + (mode == .test ? [] : ["signing_secret"]))
    }

    /// `current`, for an update: the webhook as stored. What the body gives back unchanged (its
    /// URL, masked or not; a header's value) is not judged again, so a webhook stored before a
    /// rule tightened can still be read and sent back with other changes.
    public static func parse(
        _ object: [String: JSONValue], mode: Mode, current: Webhook? = nil
    ) throws(ValidationErrors) -> WebhookWriteModel {
        var reader = FieldReader(object)
        reader.refuseUnknown(fields(for: mode))
        var model = WebhookWriteModel()

        switch reader.string("callback_url", maxLength: CallbackURL.maxLength + 1) {
        case .given(let url?)
        where current.map({ CallbackURL.unmasked(url, current: $0.callbackURL) == $0.callbackURL }) == true:
            model.callbackURL = .given(url)
        case .given(let url?):
            if let current, let problem = CallbackURL.maskedCredentialsProblem(url, current: current.callbackURL) {
                reader.fail("callback_url", problem)
            } else if let problem = CallbackURL.problem(with: url) {
                reader.fail("callback_url", problem)
            } else {
                model.callbackURL = .given(CallbackURL.normalized(url))
            }
        case .absent where mode != .update && object["callback_url"] == nil:
            reader.fail("callback_url", "can't be blank")
        default: break
        }

        switch reader.string("event_mask") {
        case .given(let mask?):
            do {
                model.eventMask = .given(try EventMask(parsing: mask))
            } catch {
                reader.fail("event_mask", error.description)
            }
        case .absent where mode != .update && object["event_mask"] == nil:
            reader.fail("event_mask", "can't be blank")
        default: break
        }

        model.propertyId = reader.uuid("property_id", nullable: true)
        if mode == .create, object["property_id"] == nil {
            reader.fail("property_id", "can't be blank")
        }
        model.tenantId = reader.uuid("tenant_id", nullable: true)
        model.isGlobal = reader.bool("is_global")
        model.isActive = reader.bool("is_active")
        model.sendData = reader.bool("send_data")
        model.isProtected = reader.bool("protected")
        model.receivesTestEvents = reader.bool("receives_test_events")
        model.requestParams = reader.stringMap("request_params")
        switch reader.int("max_in_flight", in: EndpointLimits.maxInFlightRange) {
        case .given(let value?): model.maxInFlight = .given(value)
        default: break
        }
        model.rateLimit = reader.int("rate_limit", in: EndpointLimits.rateLimitRange, nullable: true)

        if let value = object["retry_policy"] {
            if value == .null {
                model.retryPolicy = .given(nil)
            } else {
                switch RetryPolicy.parse(value) {
                case .success(let policy): model.retryPolicy = .given(policy)
                case .failure(let error): reader.fail("retry_policy", error.message)
                }
            }
        }

        let headers = reader.stringMap("headers", maxEntries: 32, maxLength: 8192)
        if case .given(let map?) = headers {
            for (name, value) in map.sorted(by: { $0.key < $1.key }) where current?.headers?[name] != value {
                if let problem = HeaderRules.problem(name: name, value: value) { reader.fail("headers", problem) }
            }
        }
        model.headers = headers

        try reader.errors.check()
        return model
    }

    /// A new webhook from a create request (Channex defaults: inactive, no data, unprotected).
    public func newWebhook(tenantId: UUID, now: Date) -> Webhook? {
        guard let url = callbackURL.value, let mask = eventMask.value else { return nil }
        return Webhook(
            tenantId: tenantId,
            propertyId: propertyId.value ?? nil,
            isGlobal: isGlobal.or(false),
            callbackURL: url,
            eventMask: mask,
            requestParams: requestParams.value ?? nil,
            headers: headers.value ?? nil,
            isActive: isActive.or(false),
            sendData: sendData.or(false),
            isProtected: isProtected.or(false),
            secrets: [SigningSecret(value: KeyMaterial.newSigningSecret())],
            retryPolicy: retryPolicy.value ?? nil,
            receivesTestEvents: receivesTestEvents.or(false),
            limits: EndpointLimits(
                maxInFlight: maxInFlight.or(EndpointLimits.defaultMaxInFlight), rateLimit: rateLimit.or(nil)),
            createdAt: now,
            updatedAt: now
        )
    }

    /// `webhook` with the given fields changed.
    public func applied(to webhook: Webhook, now: Date) -> Webhook {
        var changed = webhook
        changed.callbackURL =
            callbackURL.value.map { CallbackURL.unmasked($0, current: webhook.callbackURL) }
            ?? webhook.callbackURL
        changed.eventMask = eventMask.or(webhook.eventMask)
        changed.propertyId = propertyId.or(webhook.propertyId)
        changed.isGlobal = isGlobal.or(webhook.isGlobal)
        changed.requestParams = requestParams.or(webhook.requestParams)
        changed.headers = headers.or(webhook.headers)
        changed.isActive = isActive.or(webhook.isActive)
        changed.sendData = sendData.or(webhook.sendData)
        changed.isProtected = isProtected.or(webhook.isProtected)
        changed.retryPolicy = retryPolicy.or(webhook.retryPolicy)
        changed.receivesTestEvents = receivesTestEvents.or(webhook.receivesTestEvents)
        changed.limits.maxInFlight = maxInFlight.or(webhook.limits.maxInFlight)
        changed.limits.rateLimit = rateLimit.or(webhook.limits.rateLimit)
        if isActive.value == true, !webhook.isActive {
            // Revived: delivered at once, not after the circuit's back-off. An active webhook's
            // circuit stays as it is: a read model sent back (`is_active: true`) resets nothing.
            changed.disabledReason = nil
            changed.failingSince = nil
            changed.circuit = .closed
        }
        changed.updatedAt = now
        return changed
    }

    /// The rules between fields, checked on the webhook as it would be stored.
    public static func checkScope(of webhook: Webhook) throws(ValidationErrors) {
        var errors = ValidationErrors()
        if webhook.isGlobal, webhook.propertyId != nil {
            errors.add("is_global", "requires property_id to be null")
        }
        if !webhook.isGlobal, webhook.propertyId == nil {
            errors.add("property_id", "can't be blank")
        }
        try errors.check()
    }
}

import Foundation

/// A registered webhook: where to deliver which events, and how.
public struct Webhook: Sendable, Hashable {
    public enum Dialect: String, Sendable, Hashable {
        case channex
        case octo
    }

    public var id: UUID
    public var tenantId: UUID
    /// nil for global (tenant-wide) webhooks.
    public var propertyId: UUID?
    public var isGlobal: Bool
    public var dialect: Dialect
    public var callbackURL: String
    public var eventMask: EventMask
    public var requestParams: [String: String]?
    public var headers: [String: String]?
    public var isActive: Bool
    public var sendData: Bool
    /// Only admins may change a protected webhook.
    public var isProtected: Bool
    /// Signing secrets, newest first; an old one keeps signing until it expires.
    public var secrets: [SigningSecret]
    public var disabledReason: String?
    /// The webhook's own retry schedule; nil: Channex's.
    public var retryPolicy: RetryPolicy?
    /// Since when every attempt has failed; nil after a success.
    public var failingSince: Date?
    /// OCTO fields, for `dialect == .octo`.
    public var octo: OctoSettings?
    /// A test endpoint: it receives events flagged `test` and never live ones (FareHarbor's
    /// one production and one test URL per integration).
    public var receivesTestEvents: Bool
    /// How much delivery capacity it may take.
    public var limits: EndpointLimits
    /// Its circuit breaker; written only by settling deliveries, never by an update.
    public var circuit: Circuit
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: UUID = UUID(), tenantId: UUID, propertyId: UUID?, isGlobal: Bool, dialect: Dialect = .channex,
        callbackURL: String, eventMask: EventMask, requestParams: [String: String]? = nil,
        headers: [String: String]? = nil, isActive: Bool = false, sendData: Bool = false, isProtected: Bool = false,
        secrets: [SigningSecret], disabledReason: String? = nil, retryPolicy: RetryPolicy? = nil,
        failingSince: Date? = nil, octo: OctoSettings? = nil, receivesTestEvents: Bool = false,
        limits: EndpointLimits = EndpointLimits(), circuit: Circuit = .closed, createdAt: Date, updatedAt: Date
    ) {
        self.id = id
        self.tenantId = tenantId
        self.propertyId = propertyId
        self.isGlobal = isGlobal
        self.dialect = dialect
        self.callbackURL = callbackURL
        self.eventMask = eventMask
        self.requestParams = requestParams
        self.headers = headers
        self.isActive = isActive
        self.sendData = sendData
        self.isProtected = isProtected
        self.secrets = secrets
        self.disabledReason = disabledReason
        self.retryPolicy = retryPolicy
        self.failingSince = failingSince
        self.octo = octo
        self.receivesTestEvents = receivesTestEvents
        self.limits = limits
        self.circuit = circuit
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// The schedule its deliveries retry on.
    public var effectiveRetryPolicy: RetryPolicy { retryPolicy ?? .channex }

    /// The secret new deliveries are signed with first.
    public var currentSecret: SigningSecret? { secrets.first { $0.expiresAt == nil } ?? secrets.first }

    /// Secrets that still sign at `date`.
    public func signingSecrets(at date: Date) -> [SigningSecret] {
        secrets.filter { $0.expiresAt.map { $0 > date } ?? true }
    }
}

/// A Standard Webhooks signing secret (`whsec_` + base64 of the key bytes).
public struct SigningSecret: Sendable, Hashable, Codable {
    public var value: String
    /// nil while current; set when a rotation retires it.
    public var expiresAt: Date?

    public init(value: String, expiresAt: Date? = nil) {
        self.value = value
        self.expiresAt = expiresAt
    }

    enum CodingKeys: String, CodingKey {
        case value = "secret"
        case expiresAt = "expires_at"
    }
}

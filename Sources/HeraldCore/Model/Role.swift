/// What an API key may do. A key without a tenant and the `admin` role is a platform admin.
public enum Role: String, Sendable, Hashable, CaseIterable {
    /// Tenant admin (or platform admin when the key has no tenant).
    case admin
    /// Manages the webhooks of the properties in its scope.
    case user
    /// Posts events for its tenant.
    case publisher
}

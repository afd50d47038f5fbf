import Foundation

/// An organization: owns properties, keys and webhooks. Nothing crosses between tenants.
public struct Tenant: Sendable, Hashable {
    public var id: UUID
    public var name: String
    /// Events of a tenant in demo mode are stored but deliver nothing.
    public var demoMode: Bool
    /// The OCTO `supplier` object sent in OCTO deliveries.
    public var octoSupplier: JSONValue?
    public var createdAt: Date

    public init(
        id: UUID = UUID(), name: String, demoMode: Bool = false, octoSupplier: JSONValue? = nil, createdAt: Date
    ) {
        self.id = id
        self.name = name
        self.demoMode = demoMode
        self.octoSupplier = octoSupplier
        self.createdAt = createdAt
    }

    public static let maxNameLength = 200

    /// Why `name` cannot name a tenant (blank, too long), or nil when it can.
    public static func nameProblem(_ name: String?) -> String? {
        guard let name, !name.trimmingCharacters(in: .whitespaces).isEmpty else { return "can't be blank" }
        if name.count > maxNameLength { return "is too long (at most \(maxNameLength) characters)" }
        return nil
    }
}

import Foundation

/// A hotel (or any publisher-side unit) that property webhooks are scoped to.
public struct Property: Sendable, Hashable {
    public var id: UUID
    public var tenantId: UUID
    public var title: String
    public var createdAt: Date

    public init(id: UUID = UUID(), tenantId: UUID, title: String, createdAt: Date) {
        self.id = id
        self.tenantId = tenantId
        self.title = title
        self.createdAt = createdAt
    }
}

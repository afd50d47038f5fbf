import Foundation

/// The consumer portal's links and sessions, and the delivery counts its pages chart.
public protocol PortalStore: Sendable {
    func insertPortalLink(_ link: PortalLink) async throws
    func portalLink(id: UUID) async throws -> PortalLink?
    /// The tenant's links (every tenant's when nil), newest first.
    func listPortalLinks(tenantId: UUID?, page: PageRequest) async throws -> Page<PortalLink>
    /// Marks the link whose token hashes to `tokenHash` used, if it is still openable at `now`,
    /// and returns it; nil otherwise. Of concurrent callers with the same token, one gets it.
    func redeemPortalLink(tokenHash: String, now: Date) async throws -> PortalLink?
    /// Revokes the link (``StoreError/notFound`` when there is none); its session ends with it.
    func revokePortalLink(id: UUID, at date: Date) async throws

    /// Writes a session's value under `key` until `expiresAt` (nil keeps the stored expiry). With
    /// `onlyNew`, an existing key is left alone and the call returns false.
    func putPortalSession(key: String, value: String, expiresAt: Date?, onlyNew: Bool) async throws -> Bool
    /// The session's value and expiry, if it has not expired at `now`.
    func portalSession(key: String, now: Date) async throws -> (value: String, expiresAt: Date)?
    func deletePortalSession(key: String) async throws
    /// Deletes up to `limit` sessions that expired before `date`, and links that expired before it;
    /// returns how many rows went.
    func purgePortalSessions(before date: Date, limit: Int) async throws -> Int

    /// Deliveries made since `since` to each of `webhookIds`, counted by hour and status.
    func deliveryCounts(webhookIds: [UUID], since: Date) async throws -> [DeliveryCount]
}

/// How many deliveries of one webhook were made in one hour and now have one status.
public struct DeliveryCount: Sendable, Hashable {
    public var webhookId: UUID
    /// The start of the hour (UTC).
    public var hour: Date
    public var status: Delivery.Status
    public var count: Int

    public init(webhookId: UUID, hour: Date, status: Delivery.Status, count: Int) {
        self.webhookId = webhookId
        self.hour = hour
        self.status = status
        self.count = count
    }
}

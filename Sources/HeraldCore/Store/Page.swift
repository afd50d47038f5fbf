/// One page of a list, with Channex's `meta {page, limit, total}`.
public struct Page<Item: Sendable>: Sendable {
    public var items: [Item]
    public var page: Int
    public var limit: Int
    public var total: Int

    public init(items: [Item], page: Int, limit: Int, total: Int) {
        self.items = items
        self.page = page
        self.limit = limit
        self.total = total
    }

    public var offset: Int { (page - 1) * limit }
}

/// Which page of a list to read: `page` from 1, `limit` from 1 to ``maxLimit``.
public struct PageRequest: Sendable, Hashable {
    public static let defaultLimit = 10
    public static let maxLimit = 100
    /// The last page a request may ask for (so an offset never overflows).
    public static let maxPage = 1_000_000

    public var page: Int
    public var limit: Int

    public init(page: Int = 1, limit: Int = PageRequest.defaultLimit) {
        self.page = min(max(1, page), PageRequest.maxPage)
        self.limit = min(max(1, limit), PageRequest.maxLimit)
    }

    public var offset: Int { (page - 1) * limit }
}

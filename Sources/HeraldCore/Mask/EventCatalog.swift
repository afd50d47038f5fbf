/// The event names Herald knows: every Channex webhook event and the OCTO webhook events.
public enum EventCatalog {
    /// Channex events, as listed in "List of webhook events available".
    public static let channex: [String] = [
        "ari", "booking", "booking_new", "booking_modification", "booking_cancellation",
        "booking_unmapped_room", "booking_unmapped_rate", "non_acked_booking", "message", "sync_error",
        "sync_warning", "rate_error", "reservation_request", "alteration_request", "accepted_reservation",
        "declined_reservation", "inquiry", "review", "updated_review", "new_channel", "updated_channel",
        "disconnect_channel", "disconnect_listing", "activate_channel", "deactivate_channel",
        "channel_removal_warning", "property_removal_warning", "message_thread_booking_assigned",
    ]

    /// OCTO webhook events (snake_case, as the OCTO enum and Ventrata spell them).
    public static let octo: [String] = ["booking_update", "availability_update", "order_update", "product_update"]

    /// Spellings that mean another event: Channex's older docs say `disconnected_channel`,
    /// and OCTO's dotted forms (`booking.updated`) mean the snake_case events.
    public static let aliases: [String: String] = [
        "disconnected_channel": "disconnect_channel", "booking.updated": "booking_update",
        "availability.updated": "availability_update", "order.updated": "order_update",
        "product.updated": "product_update",
    ]

    /// The events the umbrella `booking` subscribes to.
    public static let bookingRevisions: Set<String> = ["booking_new", "booking_modification", "booking_cancellation"]

    /// Herald's own events about a tenant's webhooks, published into the tenant's stream. A mask
    /// names them to receive them: `*` does not, so a receiver that knows only Channex's events
    /// never sees one.
    public static let operational: [String] = ["webhook_disabled", "webhook_circuit_open"]

    /// Every name, in catalog order.
    public static let names: [String] = channex + octo + operational

    public static let all: Set<String> = Set(names)

    /// The catalog name for `name`, resolving aliases; nil when Herald does not know it.
    public static func canonical(_ name: String) -> String? {
        if all.contains(name) { return name }
        return aliases[name]
    }
}

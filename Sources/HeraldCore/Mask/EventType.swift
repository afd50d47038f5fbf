import Foundation

/// One event a tenant can subscribe to, as `GET /api/v1/event_types` lists it.
public struct EventType: Sendable {
    public var name: String
    /// What it is about: `ari`, `booking`, `messaging`, `sync`, `airbnb`, `review`, `channel`,
    /// `property` or `octo`.
    public var group: String
    public var description: String
    /// The dialect whose webhooks receive it.
    public var dialect: Webhook.Dialect = .channex

    /// A payload a publisher may post with it (`property_id` stands for the event's property).
    public func samplePayload(propertyId: UUID) -> JSONValue {
        if group == "herald" {
            return [
                "webhook_id": "227d4b09-7eef-4c7e-bc72-44c0c40b5299",
                "callback_url": "https://hooks.example.com",
                "reason": "410 Gone", "at": "2026-11-26T10:00:00.000000Z",
            ]
        }
        return dialect == .octo
            ? SampleEvents.octoPayload(for: name) : SampleEvents.payload(for: name, propertyId: propertyId)
    }
}

extension EventCatalog {
    /// Every event, in the order of Channex's "List of webhook events available", then OCTO's.
    public static let types: [EventType] = [
        .init(name: "ari", group: "ari", description: "Any change of availability, rates or restrictions."),
        .init(
            name: "booking", group: "booking",
            description: "Any booking revision: new, modified or cancelled (the umbrella of the next three)."),
        .init(name: "booking_new", group: "booking", description: "A booking revision with status new."),
        .init(name: "booking_modification", group: "booking", description: "A booking revision with status modified."),
        .init(
            name: "booking_cancellation", group: "booking", description: "A booking revision with status cancelled."),
        .init(name: "booking_unmapped_room", group: "booking", description: "A booking for a room that is not mapped."),
        .init(
            name: "booking_unmapped_rate", group: "booking",
            description: "A booking whose room is mapped but whose rate is not."),
        .init(
            name: "non_acked_booking", group: "booking",
            description: "A booking revision not acknowledged 30 minutes after it arrived."),
        .init(name: "message", group: "messaging", description: "A guest message, in real time."),
        .init(name: "sync_error", group: "sync", description: "A sync error, as the dashboard shows it."),
        .init(name: "sync_warning", group: "sync", description: "A non-critical error from a channel during sync."),
        .init(name: "rate_error", group: "sync", description: "A channel refused rate values during sync."),
        .init(
            name: "reservation_request", group: "airbnb",
            description: "Airbnb: a reservation request to accept or deny."),
        .init(
            name: "alteration_request", group: "airbnb", description: "Airbnb: an alteration request to accept or deny."
        ),
        .init(
            name: "accepted_reservation", group: "airbnb", description: "Airbnb: a reservation request was accepted."),
        .init(
            name: "declined_reservation", group: "airbnb", description: "Airbnb: a reservation request was declined."),
        .init(name: "inquiry", group: "airbnb", description: "Airbnb: an inquiry."),
        .init(name: "review", group: "review", description: "A new review."),
        .init(name: "updated_review", group: "review", description: "A review was updated (guest feedback received)."),
        .init(name: "new_channel", group: "channel", description: "A channel was created for the property."),
        .init(name: "updated_channel", group: "channel", description: "A channel was updated."),
        .init(
            name: "disconnect_channel", group: "channel",
            description:
                "A channel was disconnected, by automatic rules or by a user (also spelt disconnected_channel)."
        ),
        .init(
            name: "disconnect_listing", group: "channel", description: "A listing was disconnected from Airbnb."),
        .init(name: "activate_channel", group: "channel", description: "A channel was activated."),
        .init(name: "deactivate_channel", group: "channel", description: "A channel was deactivated."),
        .init(
            name: "channel_removal_warning", group: "channel",
            description: "An inactive channel will soon be removed (7 days and 1 day before)."),
        .init(
            name: "property_removal_warning", group: "property",
            description: "A property with no active channel will soon be removed (30, 7 and 1 days before)."),
        .init(
            name: "message_thread_booking_assigned", group: "messaging",
            description: "A message thread from before a booking was linked to the booking."),
        .init(
            name: "booking_update", group: "octo",
            description: "OCTO: a booking changed (payload {\"booking\": {...}}).",
            dialect: .octo),
        .init(
            name: "availability_update", group: "octo",
            description: "OCTO: availability changed (payload {\"availability\": {...}, \"productId\", \"optionId\"}).",
            dialect: .octo),
        .init(
            name: "order_update", group: "octo", description: "OCTO: an order changed (payload {\"order\": {...}}).",
            dialect: .octo),
        .init(
            name: "product_update", group: "octo",
            description: "OCTO: a product changed (payload {\"product\": {...}}).",
            dialect: .octo),
        .init(
            name: "webhook_disabled", group: "herald",
            description: "Herald disabled one of the tenant's webhooks (410 Gone, or failing for too long); "
                + "`*` does not include it."),
        .init(
            name: "webhook_circuit_open", group: "herald",
            description: "Herald opened the circuit of one of the tenant's endpoints after failures in a row; "
                + "`*` does not include it."),
    ]

    /// The message for an event name Herald does not know: the closest known one, or where to look.
    public static func unknownEventProblem(_ name: String) -> String {
        let names = FieldNames(EventCatalog.names)
        if let closest = names.closest(to: name) {
            return "is not a known event; did you mean `\(closest)`? (GET /api/v1/event_types lists them all)"
        }
        return "is not a known event (GET /api/v1/event_types lists them all)"
    }
}

/// The events Herald publishes about a tenant's own webhooks.
public enum OperationalEvents {
    /// `webhook_disabled` or `webhook_circuit_open` for `webhook`, with why, at `date`.
    public static func event(_ name: String, webhook: Webhook, reason: String, at date: Date) -> Event {
        Event(
            tenantId: webhook.tenantId, propertyId: webhook.propertyId, name: name,
            payload: [
                "webhook_id": .string(webhook.id.text),
                "callback_url": .string(CallbackURL.origin(webhook.callbackURL)),
                "reason": .string(reason), "at": .string(Timestamp.iso(date)),
            ],
            occurredAt: date, createdAt: date)
    }
}

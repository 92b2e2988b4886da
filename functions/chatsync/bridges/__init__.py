"""HR bridges: turn what HR and identity systems send into ``dirsync.hr.v1`` events.

Two doors, one way out:

- a SCIM 2.0 service provider (RFC 7643/7644) that Okta and Microsoft Entra ID provision into;
- signed webhooks from HR systems (BambooHR, HiBob, or any vendor with a mapping file in
  ``bridges/vendors/``);

both end in ``announcing.Announcer``, which diffs the person against what it last announced and
publishes the ``dirsync.hr.v1`` events chatsync consumes (docs/hr-sources.md).

Layers inside the package (kept apart so each can be tested alone):

    pure mapping     snapshots, changes, hr_messages, scim_schema, scim_dialects, scim_people,
                     vendor_specs, signatures        stdlib, pydantic/scim2-models, chatsync.events
    service          ports (the Publisher and BridgeStore protocols), announcing, scim_service,
                     webhook_service                  take their ports as arguments
    adapters         memory_store, file_store, firestore_store, pubsub_publisher,
                     jsonl_publisher, vendor_api, secret_values
    HTTP             scim_http, webhook_http, serving, wiring, settings
"""

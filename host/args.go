package host

// The Args of events whose call takes more than one value (see Event.Args).
// Calls with one argument point at it directly: the spec of a create, the
// options of a list, the id of a get or delete.

// UpdateArgs are the Args of an update event (provider.*.update): the
// resource, and the change (sdk.InstanceUpdate, sdk.VolumeUpdate, …).
type UpdateArgs[U any] struct {
	ID     string
	Update U
}

// LinkArgs are the Args of an event that links or unlinks two resources: ID
// is the resource the call is made on (an instance, a router, a floating IP)
// and OtherID the one linked (a firewall, a subnet or gateway, an instance).
type LinkArgs struct {
	ID      string
	OtherID string
}

// VolumeAttachArgs are the Args of provider.storage.volumes.attach.
type VolumeAttachArgs struct {
	ID         string
	InstanceID string
	Device     string
}

// VolumeDetachArgs are the Args of provider.storage.volumes.detach.
type VolumeDetachArgs struct {
	ID    string
	Force bool
}

// BucketDeleteArgs are the Args of provider.storage.buckets.delete.
type BucketDeleteArgs struct {
	Name           string
	DeleteContents bool
}

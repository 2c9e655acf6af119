// Package host is what an application embeds to use any cloud through
// CloudBridge provider plugins: it finds and starts a plugin binary, configures
// it, and offers the portable object graph of CloudBridge (DESIGN §3).
//
//	p, err := host.Open(ctx, "aws", host.Settings{"region": "eu-west-1"})
//	if err != nil { … }
//	defer p.Close() // stops the plugin process
//	inst, err := p.Compute.Instances.Create(ctx, host.InstanceSpec{Label: "web-1", …})
//	err = inst.WaitReady(ctx)
//
// What the host adds to every call, once for every cloud:
//
//   - Events. Every call is an event named as in CloudBridge
//     ("provider.compute.instances.create"; EventNames lists them).
//     Applications register observers, which see the arguments and the result,
//     and interceptors, which wrap the call and may rewrite either, by glob
//     pattern and priority on p.Events. DebugLogging logs each call with its
//     duration and outcome, secrets redacted.
//   - Retries. A call that fails with a retryable error (Unavailable,
//     ResourceExhausted, throttling) is retried with backoff within the
//     context's deadline, honouring the plugin's RetryAfter hint. Creates
//     carry an idempotency token fixed before the first try, so a retried
//     create never makes two resources (see RetryPolicy for what else is
//     retried, and when a delete's NotFound is success).
//   - Waiters. Lifecycle resources have WaitFor and WaitReady, which poll
//     with capped exponential backoff and jitter, stop at a terminal state
//     with a *StateError, and end at the context's deadline or WaitTimeout.
//   - Configuration. Settings come from the caller, then a profile of the
//     config file (ConfigPath), then the environment variables the plugin
//     declares, then the plugin's defaults (see OpenWith). Secret settings
//     travel only in the plugin's Configure call and never appear in errors,
//     logs or Describe.
//   - Zone views. p.WithZone gives a view working in another zone through
//     the same plugin process.
//   - Transfers. bucket.Objects.Upload, UploadFile, Download and DownloadFile
//     move whole objects of any size: one request below a threshold, a
//     parallel multipart upload (aborted on failure) and parallel ranged reads
//     above it, a file written under a scratch name and renamed when
//     complete, memory bounded by part size × concurrency, progress through a
//     callback (see TransferConfig for the settings and CB_MULTIPART_*).
//
// Errors are *sdk.Error values with the contract's codes: test them with
// errors.Is(err, host.ErrNotFound) and friends. Tests and examples serve a
// plugin in process with OpenInProcess, as the examples below do with the
// mock cloud.
package host

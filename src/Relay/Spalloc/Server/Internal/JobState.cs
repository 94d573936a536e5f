namespace FastSpinnRelay.Relay.Spalloc.Server.Internal;

/// <summary>Job states, named and numbered as the service and spinnman's <c>SpallocState</c> have them.</summary>
internal enum JobState
{
    Unknown = 0,
    Queued = 1,
    Power = 2,
    Ready = 3,
    Destroyed = 4,
}

namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>How much the host has read from one region (an entry of HOST_DATA_READ).</summary>
/// <param name="Channel">Buffering channel.</param>
/// <param name="Region">Recording region.</param>
/// <param name="LengthRead">Bytes the host has read and the core may reuse.</param>
public readonly record struct EieioCompletedRead(byte Channel, byte Region, uint LengthRead);

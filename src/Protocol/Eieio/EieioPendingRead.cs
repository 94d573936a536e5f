namespace FastSpinnRelay.Protocol.Eieio;

/// <summary>One region of recorded data a core offers for reading (an entry of SPINNAKER_REQUEST_READ_DATA).</summary>
/// <param name="Channel">Buffering channel.</param>
/// <param name="Region">Recording region.</param>
/// <param name="StartAddress">SDRAM address where the data starts.</param>
/// <param name="Length">Bytes ready to read.</param>
public readonly record struct EieioPendingRead(byte Channel, byte Region, uint StartAddress, uint Length);

namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>READ/WRITE arg3: the memory access width. The board answers <see cref="ScpResult.Arg"/> above 2.</summary>
public enum ScpAccessType : uint
{
    /// <summary>Byte accesses (any address and length).</summary>
    Byte = 0,

    /// <summary>Half-word accesses (address and length even).</summary>
    HalfWord = 1,

    /// <summary>Word accesses (address and length multiples of 4).</summary>
    Word = 2,
}

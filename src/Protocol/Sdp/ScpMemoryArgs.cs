namespace FastSpinnRelay.Protocol.Sdp;

/// <summary>
/// The arguments of READ (2) and WRITE (3): arg1 address, arg2 length in bytes (≤ 256), arg3 access type.
/// A READ reply has no args (data starts at UDP offset 14); WRITE data follows the three args.
/// </summary>
/// <param name="Address">arg1: first address.</param>
/// <param name="Length">arg2: number of bytes.</param>
/// <param name="AccessType">arg3: access width (an undefined value is kept as sent).</param>
public readonly record struct ScpMemoryArgs(uint Address, uint Length, ScpAccessType AccessType)
{
    /// <summary>
    /// What SC&amp;MP checks before touching memory: length ≤ 256 and a known access type; otherwise it answers
    /// <see cref="ScpResult.Arg"/>. It does not check alignment.
    /// </summary>
    public bool IsAcceptedByBoard => Length <= ScpMessage.MaxDataLength && AccessType <= ScpAccessType.Word;

    /// <summary>Args for a transfer, with the access type hosts choose (<see cref="ChooseAccessType"/>).</summary>
    public static ScpMemoryArgs ForTransfer(uint address, uint length) =>
        new(address, length, ChooseAccessType(address, length));

    /// <summary>Reads the three argument words of a READ/WRITE request.</summary>
    public static ScpMemoryArgs FromArgs(uint arg1, uint arg2, uint arg3) => new(arg1, arg2, (ScpAccessType)arg3);

    /// <summary>Word when address and length are both multiples of 4, half-word when both even, else byte.</summary>
    public static ScpAccessType ChooseAccessType(uint address, uint length) => ((address | length) & 3) switch
    {
        0 => ScpAccessType.Word,
        2 => ScpAccessType.HalfWord,
        _ => ScpAccessType.Byte,
    };
}

namespace FastSpinnRelay.Protocol.Boot;

/// <summary>Boot packet opcodes (docs/protocols.md §5.2).</summary>
public enum BootOpcode : uint
{
    /// <summary>FLOOD_FILL_START: op3 = number of blocks − 1; no data.</summary>
    Start = 0x01,

    /// <summary>FLOOD_FILL_BLOCK: op1 = <c>(words_in_block − 1) &lt;&lt; 8 | block_index</c>; data ≤ 1024 bytes.</summary>
    Block = 0x03,

    /// <summary>FLOOD_FILL_CONTROL (end): op1 = 1; no data. The board boots the image.</summary>
    End = 0x05,

    /// <summary>HELLO: defined by spinnman; presumably what unbooted boards broadcast.</summary>
    Hello = 0x41,
}

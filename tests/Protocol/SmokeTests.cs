namespace FastSpinnRelay.Protocol.Tests;

public class SmokeTests
{
    [Fact]
    public void Protocol_assembly_loads() => Assert.NotNull(typeof(SmokeTests).Assembly);
}

/** A polling configuration with one range of `addresses` addresses and three services, for the benchmark and the large-package test. */
export function largeConfigXml(addresses: number): string {
  const last = addresses; // 10.0.0.1 … 10.0.x.y, `addresses` of them
  const end = `10.${(last >> 16) & 255}.${(last >> 8) & 255}.${last & 255}`;
  return `<poller-configuration>
  <package name="datacenter">
    <include-range begin="10.0.0.1" end="${end}"/>
    <service name="ICMP-ish" interval="300000"><parameter key="port" value="7"/></service>
    <service name="HTTP" interval="300000"><parameter key="port" value="80"/><parameter key="url" value="/health"/></service>
    <service name="SSH" interval="300000"><parameter key="port" value="22"/></service>
    <downtime begin="0" end="300000" interval="30000"/>
    <downtime begin="300000" interval="300000"/>
  </package>
  <monitor service="ICMP-ish" type="tcp"/>
  <monitor service="HTTP" type="http"/>
  <monitor service="SSH" type="tcp"/>
  <location name="DC" registration-token="dc-token-1234"><polling-package name="datacenter"/></location>
</poller-configuration>`;
}

/** What is checked once every element has been read: what needs the whole file. */
import { ParameterError, parseCheckSettings, type MonitorRegistry, type ServiceMonitor } from '@vantage/monitors';
import type { ElementReader } from './element-reader.ts';
import type { ApplicationDefinition, PollingConfig, ServiceDefinition } from './polling-config.ts';
import type { XmlElement } from './xml-tree.ts';

/**
 * Checks that need the whole file: references between elements, and each
 * service's parameters against its monitor (a `<monitor>` may come after the
 * packages).
 */
export function crossCheck(r: ElementReader, root: XmlElement, config: PollingConfig, monitors: MonitorRegistry): void {
  const elementsOf = (name: string) => root.children.filter((c) => c.name === name);
  for (const element of elementsOf('location')) {
    for (const ref of element.children) {
      const pkg = ref.attributes.name!;
      if (!config.packages.has(pkg)) r.fail(ref, `location "${element.attributes.name}" names unknown package "${pkg}"`);
    }
  }
  for (const element of elementsOf('package')) {
    const pkg = config.packages.get(element.attributes.name!.trim())!;
    for (const child of element.children) {
      if (child.name === 'service') {
        const type = config.monitorTypes.get(child.attributes.name!);
        if (type === undefined) r.fail(child, `service "${child.attributes.name}" has no <monitor service="${child.attributes.name}" .../>`);
        const service = pkg.services.find((s) => s.name === child.attributes.name!.trim())!;
        checkParameters(r, child, service, monitors[type]!, config.settings.defaultTimeoutMs);
      }
      if (child.name === 'outage-calendar' && !config.outageCalendars.has(child.text.trim())) {
        r.fail(child, `package "${element.attributes.name}" names unknown outage "${child.text.trim()}"`);
      }
    }
  }
  for (const element of elementsOf('application')) {
    const application = config.applications.get(element.attributes.name!.trim())!;
    application.members.forEach((member, i) => checkMember(r, element.children[i]!, application, member, config));
  }
  for (const element of elementsOf('notification')) {
    const rule = config.notificationRules.find((n) => n.name === element.attributes.name?.trim())!;
    for (const sink of rule.sinks) {
      if (!config.notificationSinks.has(sink)) r.fail(element, `notification "${rule.name}" names unknown sink "${sink}" (define it with <webhook> or <email>)`);
    }
    for (const location of rule.locations ?? []) {
      if (!config.locations.has(location)) r.fail(element, `notification "${rule.name}" names unknown location "${location}"`);
    }
  }
  if (config.locations.size === 0) r.fail(root, 'at least one <location> is required');
}

/**
 * Parses the service's parameters as pollers will, so that a mistake is
 * refused here: at the `<parameter>` at fault, else (a required one missing,
 * two that go together) at the `<service>`.
 */
function checkParameters(r: ElementReader, element: XmlElement, service: ServiceDefinition, monitor: ServiceMonitor, defaultTimeoutMs: number): void {
  try {
    parseCheckSettings(monitor, service.params, defaultTimeoutMs);
  } catch (err) {
    if (!(err instanceof ParameterError)) throw err;
    const key = err.parameter;
    const parameter = key === undefined ? undefined : element.children.find((c) => c.attributes.key?.trim() === key);
    if (parameter) r.fail(parameter, err.message, `parameter key="${key}"`);
    r.fail(element, err.message, `service name="${service.name}"`);
  }
}

function checkMember(r: ElementReader, element: XmlElement, application: ApplicationDefinition, member: ApplicationDefinition['members'][number], config: PollingConfig): void {
  const where = `application "${application.name}"`;
  const pkg = config.packages.get(member.packageName);
  if (!pkg) r.fail(element, `${where} names unknown package "${member.packageName}"`);
  if (!pkg.targets.some((t) => t.nodeLabel === member.nodeLabel)) {
    r.fail(element, `${where} names node "${member.nodeLabel}", which package "${pkg.name}" does not cover`);
  }
  const service = pkg.services.find((s) => s.name === member.serviceName);
  if (!service) r.fail(element, `${where} names service "${member.serviceName}", which package "${pkg.name}" does not define`);
  if (!service.enabled) r.fail(element, `${where} names service "${member.serviceName}" of package "${pkg.name}", which is status="off"`);
}

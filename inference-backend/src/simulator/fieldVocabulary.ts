import type { Department, EventClass, Priority } from '@nocai/contract';

/**
 * A curated vocabulary of the field: how people in hospitals, factories, hotels and city
 * operations describe faults when they call or type a complaint, in English and German, each
 * phrase labelled by hand with the class, the department that fixes it and the urgency it
 * states (the priority at a site of ordinary criticality).
 *
 * Why it exists: the simulated ticket history speaks in the simulator's few title templates
 * ("Power outage at {site}"), so models trained on it alone do not know that a generator, a
 * blackout or a VPN are power or network matters, and route real complaints by accident. These
 * phrases are training rows, nothing more: the default ticket models (`DEFAULT_MODEL_SPECS` in
 * `commands/train.ts`) add them to every training set and learn from them the way they learn
 * from history; no rule looks a word up. They are never validated or held out, so the reported
 * figures remain those of the history.
 *
 * Written for this project from common NOC and facilities practice; not copied from any data
 * set. Department rules follow the simulator's triage (`simulator/triage.ts`): power and most
 * hardware → field_technicians, PLC and sensor hardware → maintenance, network → network_ops,
 * software → it_ops, security → security, environment → facilities.
 */
export interface FieldPhrase {
  text: string;
  language: 'en' | 'de';
  eventClass: Exclude<EventClass, 'informational'>;
  department: Department;
  priority: Priority;
}

type Entry = [text: string, priority: Priority];

function phrases(
  eventClass: FieldPhrase['eventClass'],
  department: Department,
  language: FieldPhrase['language'],
  entries: readonly Entry[]
): FieldPhrase[] {
  return entries.map(([text, priority]) => ({ text, language, eventClass, department, priority }));
}

export const FIELD_VOCABULARY: readonly FieldPhrase[] = [
  ...phrases('power', 'field_technicians', 'en', [
    ['Blackout across the whole site, nothing has power', 'P1'],
    ['Mains supply failed and the backup generator never kicked in', 'P1'],
    ['Emergency generator failed to start during the outage', 'P1'],
    ['Utility power cut, the building is running on batteries', 'P1'],
    ['Electricity is out on the entire floor', 'P2'],
    ['Power outage in the east wing, lights and outlets dead', 'P2'],
    ['Automatic transfer switch stuck, no power from the genset', 'P1'],
    ['UPS alarm: on battery, runtime less than ten minutes', 'P2'],
    ['UPS is beeping and shows a battery fault', 'P3'],
    ['Circuit breaker keeps tripping in the server room', 'P2'],
    ['Power strip in the rack lost power, devices went dark', 'P3'],
    ['Voltage drops and flickering lights all morning', 'P3'],
    ['Diesel generator low on fuel after the grid failure', 'P2'],
    ['PDU on rack B shows overload and shut off an outlet', 'P3'],
    ['Power supply of the cabinet has no input voltage', 'P3'],
  ]),
  ...phrases('power', 'field_technicians', 'de', [
    ['Stromausfall im ganzen Gebäude, nichts geht mehr', 'P1'],
    ['Netzausfall und das Notstromaggregat ist nicht angesprungen', 'P1'],
    ['Notstromdiesel startet nicht, Gebäude ohne Strom', 'P1'],
    ['Kein Strom auf der gesamten Etage', 'P2'],
    ['USV meldet Batteriebetrieb, Restlaufzeit unter zehn Minuten', 'P2'],
    ['USV piept und zeigt einen Batteriefehler', 'P3'],
    ['Sicherung im Serverraum fliegt immer wieder raus', 'P2'],
    ['Spannungseinbrüche, das Licht flackert seit heute früh', 'P3'],
    ['Steckdosenleiste im Rack ohne Spannung, Geräte aus', 'P3'],
    ['Stromversorgung im Ostflügel ausgefallen', 'P2'],
    ['Umschaltung auf Netzersatzanlage hat nicht funktioniert', 'P1'],
    ['Netzteil des Schranks bekommt keine Eingangsspannung', 'P3'],
  ]),
  ...phrases('network', 'network_ops', 'en', [
    ['Remote workers cannot connect to the VPN', 'P2'],
    ['VPN tunnel to the branch office is down', 'P2'],
    ['VPN connection drops every few minutes', 'P3'],
    ['Internet access lost for the whole office', 'P1'],
    ['Wi-Fi keeps disconnecting on the second floor', 'P3'],
    ['No network on the ward, monitors lost connection to the central station', 'P1'],
    ['Switch port flapping, link goes up and down', 'P3'],
    ['High latency and packet loss to the data centre', 'P3'],
    ['Router unreachable, site offline from the NOC', 'P2'],
    ['WAN link to the ISP is down', 'P2'],
    ['Cannot reach the server over the network, ping times out', 'P3'],
    ['DNS not resolving, web pages do not load', 'P3'],
    ['Wireless access point offline in the lobby', 'P4'],
    ['Fibre uplink between buildings lost', 'P2'],
    ['Network is very slow for everyone since the morning', 'P3'],
  ]),
  ...phrases('network', 'network_ops', 'de', [
    ['VPN-Verbindung bricht ständig ab', 'P3'],
    ['Mitarbeiter im Homeoffice kommen nicht ins VPN', 'P2'],
    ['Kein Internet im ganzen Büro', 'P1'],
    ['WLAN fällt im zweiten Stock immer wieder aus', 'P3'],
    ['Netzwerk auf der Station weg, Monitore ohne Verbindung zur Zentrale', 'P1'],
    ['Switch-Port flattert, Link geht ständig hoch und runter', 'P3'],
    ['Hohe Latenz und Paketverlust zum Rechenzentrum', 'P3'],
    ['Router nicht erreichbar, Standort offline', 'P2'],
    ['WAN-Leitung zum Provider ausgefallen', 'P2'],
    ['Server über das Netzwerk nicht erreichbar, Ping läuft ins Leere', 'P3'],
    ['Glasfaserverbindung zwischen den Gebäuden unterbrochen', 'P2'],
    ['Netzwerk seit heute Morgen extrem langsam', 'P3'],
  ]),
  ...phrases('hardware', 'field_technicians', 'en', [
    ['Server fan is loud and the hardware fault light is on', 'P3'],
    ['Hard disk failure predicted by SMART on the database server', 'P2'],
    ['RAID array degraded, one drive failed', 'P2'],
    ['Patient monitor screen stays black after reboot', 'P2'],
    ['Monitor at bed 4 keeps restarting', 'P2'],
    ['Server will not power on after maintenance', 'P2'],
    ['Memory errors reported by the server hardware log', 'P3'],
    ['Printer jammed and shows a hardware error', 'P4'],
    ['Switch power supply unit failed, running on the redundant one', 'P3'],
    ['Workstation makes clicking noises and freezes', 'P3'],
  ]),
  ...phrases('hardware', 'field_technicians', 'de', [
    ['Lüfter im Server laut, Hardware-Fehlerlampe leuchtet', 'P3'],
    ['Festplattenausfall auf dem Datenbankserver vorhergesagt', 'P2'],
    ['RAID degradiert, eine Platte defekt', 'P2'],
    ['Patientenmonitor bleibt nach dem Neustart schwarz', 'P2'],
    ['Server lässt sich nach der Wartung nicht einschalten', 'P2'],
    ['Arbeitsplatzrechner klickt und friert ein', 'P3'],
    ['Netzteil im Switch ausgefallen, läuft auf dem redundanten', 'P3'],
  ]),
  ...phrases('hardware', 'maintenance', 'en', [
    ['PLC in fault state, the production line stopped', 'P1'],
    ['Machine controller not responding on line 2', 'P2'],
    ['Conveyor drive fault reported by the PLC', 'P2'],
    ['Sensor reading stuck at zero, probe looks broken', 'P3'],
    ['Vibration sensor on the pump gives no values', 'P3'],
    ['Temperature probe damaged and needs replacement', 'P4'],
  ]),
  ...phrases('hardware', 'maintenance', 'de', [
    ['SPS im Störzustand, die Produktionslinie steht', 'P1'],
    ['Maschinensteuerung an Linie 2 reagiert nicht', 'P2'],
    ['Sensor liefert nur noch Nullwerte, Fühler defekt', 'P3'],
    ['Schwingungssensor an der Pumpe ohne Messwerte', 'P3'],
  ]),
  ...phrases('software', 'it_ops', 'en', [
    ['Application throws errors and users cannot log in', 'P2'],
    ['Service crashed and keeps restarting', 'P2'],
    ['Web portal returns error 500 for everyone', 'P2'],
    ['Disk almost full on the application server, logs filling it', 'P2'],
    ['SSL certificate expires next week on the web server', 'P3'],
    ['Database connection pool exhausted, the app hangs', 'P2'],
    ['Software update failed and the program will not start', 'P3'],
    ['Email is not being delivered since the upgrade', 'P3'],
    ['Backup job failed last night', 'P3'],
    ['The booking system is very slow and times out', 'P3'],
    ['Password reset for my account does not work', 'P4'],
  ]),
  ...phrases('software', 'it_ops', 'de', [
    ['Anwendung wirft Fehler, Benutzer können sich nicht anmelden', 'P2'],
    ['Dienst ist abgestürzt und startet ständig neu', 'P2'],
    ['Webportal liefert Fehler 500', 'P2'],
    ['Festplatte auf dem Applikationsserver fast voll', 'P2'],
    ['SSL-Zertifikat läuft nächste Woche ab', 'P3'],
    ['Softwareupdate fehlgeschlagen, Programm startet nicht', 'P3'],
    ['Datensicherung heute Nacht fehlgeschlagen', 'P3'],
    ['Buchungssystem sehr langsam, Zeitüberschreitung', 'P3'],
  ]),
  ...phrases('security', 'security', 'en', [
    ['Repeated failed login attempts on the admin account', 'P2'],
    ['Brute force attack against the SSH server from an unknown address', 'P2'],
    ['Somebody is trying passwords on the administrator login of the VPN gateway', 'P2'],
    ['Firewall reports an intrusion attempt from outside', 'P2'],
    ['Unknown device plugged into a switch port, port security violation', 'P3'],
    ['Phishing email asking staff for their credentials', 'P3'],
    ['Account locked out after many wrong passwords', 'P3'],
    ['Suspicious logins at night from a foreign country', 'P2'],
    ['Malware detected on a workstation', 'P1'],
    ['Port scan against our public servers', 'P3'],
    ['Unauthorised access to the camera system', 'P2'],
  ]),
  ...phrases('security', 'security', 'de', [
    ['Wiederholte fehlgeschlagene Anmeldeversuche am Admin-Konto', 'P2'],
    ['Brute-Force-Angriff auf den SSH-Server', 'P2'],
    ['Jemand probiert Passwörter am Administratorzugang der Firewall', 'P2'],
    ['Firewall meldet einen Einbruchsversuch von außen', 'P2'],
    ['Unbekanntes Gerät am Switch-Port, Port-Security-Verstoß', 'P3'],
    ['Phishing-Mail fordert Zugangsdaten an', 'P3'],
    ['Verdächtige Anmeldungen nachts aus dem Ausland', 'P2'],
    ['Schadsoftware auf einem Arbeitsplatz gefunden', 'P1'],
  ]),
  ...phrases('environment', 'facilities', 'en', [
    ['Server room is too hot, the air conditioning stopped', 'P2'],
    ['HVAC failure, temperature rising in the data room', 'P2'],
    ['Water leak under the raised floor', 'P1'],
    ['Humidity too high in the storage room', 'P3'],
    ['Cooling unit alarm in the equipment room', 'P2'],
    ['Smoke smell near the electrical cabinet', 'P1'],
    ['Heating is off in the ward', 'P3'],
    ['Door of the network cabinet left open, dust everywhere', 'P4'],
  ]),
  ...phrases('environment', 'facilities', 'de', [
    ['Serverraum zu heiß, Klimaanlage ausgefallen', 'P2'],
    ['Lüftungsanlage defekt, Temperatur steigt', 'P2'],
    ['Wasserschaden unter dem Doppelboden', 'P1'],
    ['Luftfeuchtigkeit im Lager zu hoch', 'P3'],
    ['Kühlgerät im Technikraum meldet Alarm', 'P2'],
    ['Heizung auf der Station ausgefallen', 'P3'],
  ]),
];

/**
 * The vocabulary as rows of the ticket history's columns (title and description both hold the
 * phrase, as a typed complaint reaches the models; no site or device), ready to be added to a
 * training table.
 */
export function fieldVocabularyRows(): Array<Record<string, string>> {
  return FIELD_VOCABULARY.map((p) => ({
    title: p.text,
    description: p.text,
    class: p.eventClass,
    department: p.department,
    priority: p.priority,
    site: '',
    site_kind: '',
    device_kind: '',
  }));
}

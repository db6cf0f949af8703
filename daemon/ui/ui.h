/* The ui role (`snare --role ui`): the web interface of snare-web.  Started
 * by the spawner with its channel to the coordinator on fd 3, the listening
 * socket on fd 4, its spill file on fd 5 and optionally a flow file to load
 * on fd 6.  Holds no key and parses no traffic: it serves the page and the
 * JSON API of docs/web-api.md from the flows the coordinator sends. */
#ifndef SNARE_UI_UI_H
#define SNARE_UI_UI_H

int ui_main(void);

#endif

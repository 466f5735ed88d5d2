/**
 * A relay over splice4j: {@link io.github.splice4j.proxy.Relay} accepts connections and splices
 * each one to a target chosen per client; {@link io.github.splice4j.proxy.SpliceProxy} is the
 * command line over it.
 */
package io.github.splice4j.proxy;
